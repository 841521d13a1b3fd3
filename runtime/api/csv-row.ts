/**
 * The row types of a CSV source, derived from its options: the columns named in `types` have
 * the TypeScript type of their column type, every other column of the header is a string (the
 * reader leaves untyped cells as text, an empty one as ''). A row type may also be given
 * explicitly; the options are then checked against it.
 */
import type { CsvColumnType, CsvSourceOptions } from '../../operators/sources/csv.js';

/** The TypeScript type of a cell parsed as column type C. */
export type CsvValue<C extends CsvColumnType> = C extends 'number' | 'integer' ? number : C extends 'boolean' ? boolean : string;

/** A row read with these column types: the typed columns as their types, any other column a string. */
export type CsvRow<Types extends Record<string, CsvColumnType> = Record<never, never>> =
  { [K in keyof Types]: CsvValue<Types[K]> } & { [column: string]: string };

/** The `types` of options O, or none. */
export type CsvTypesOf<O> = O extends { types: infer Types extends Record<string, CsvColumnType> } ? Types : Record<never, never>;

/** The column types that yield a field of type V. */
type ColumnTypeFor<V> = [V] extends [number] ? 'number' | 'integer' : [V] extends [boolean] ? 'boolean' : [V] extends [string] ? 'string' : never;

/** Whether field K of T may be absent. */
type IsOptional<T, K extends keyof T> = Record<never, never> extends Pick<T, K> ? true : false;
/** Whether field K of T holds something other than text. */
type IsTyped<T, K extends keyof T> = Exclude<T[K], undefined> extends string ? false : true;

/**
 * The `types` a row type T asks for: every field that is not a string and may not be absent
 * needs its column type (it would arrive as text otherwise); optional and string fields may be given.
 */
type TypesFor<T> =
  & { [K in keyof T as IsTyped<T, K> extends true ? (IsOptional<T, K> extends true ? never : K) : never]-?: ColumnTypeFor<Exclude<T[K], undefined>> }
  & { [K in keyof T as IsTyped<T, K> extends true ? (IsOptional<T, K> extends true ? K : never) : never]?: ColumnTypeFor<Exclude<T[K], undefined>> }
  & { [K in keyof T as IsTyped<T, K> extends true ? never : K]?: 'string' };

/** CSV options checked against row type T: every field of T that is not a string must be given its column type. */
export type CsvOptionsFor<T> = CsvSourceOptions & {
  /** Columns that must not be empty. */
  required?: readonly (keyof T & string)[];
} & (Record<never, never> extends TypesFor<T> ? { types?: TypesFor<T> } : { types: TypesFor<T> });
