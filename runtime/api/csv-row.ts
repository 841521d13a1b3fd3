/**
 * The row types of a CSV source, derived from its options: the columns named in `types` have
 * the TypeScript type of their column type (the reader fails or skips a row whose typed cell
 * does not parse, so a typed column is always there); any other column is text, or absent when
 * the header has no such column. A row type may also be given explicitly; the options are
 * then checked against it.
 */
import type { CsvColumnType, CsvSourceOptions } from '../../operators/sources/csv.js';

/** The TypeScript type of a cell parsed as column type C. */
export type CsvValue<C extends CsvColumnType> = C extends 'number' | 'integer' ? number : C extends 'boolean' ? boolean : string;

/**
 * A row read with these column types: the typed columns as their types, any other column text
 * (undefined if the file has no such column). Column types only known when the job runs give
 * rows whose every column may be any cell value.
 */
export type CsvRow<Types extends Record<string, CsvColumnType> = Record<never, never>> = string extends keyof Types
  ? { [column: string]: string | number | boolean | undefined }
  : { [K in keyof Types]: CsvValue<Types[K]> } & { [column: string]: string | undefined };

/** The `types` of options O (every column a string when there are none). */
export type CsvTypesOf<O> = O extends { types?: infer Types }
  ? [NonNullable<Types>] extends [Record<string, CsvColumnType>] ? NonNullable<Types> : Record<never, never>
  : Record<never, never>;

/** The column types that yield a field of type V. */
type ColumnTypeFor<V> = [V] extends [number] ? 'number' | 'integer' : [V] extends [boolean] ? 'boolean' : [V] extends [string] ? 'string' : never;

/** Whether field K of T holds something other than text. */
type IsTyped<T, K extends keyof T> = Exclude<T[K], undefined> extends string ? false : true;

/** The `types` a row type T asks for: every field that is not text needs its column type (it would arrive as text otherwise); text fields may be named. */
type TypesFor<T> =
  & { [K in keyof T as IsTyped<T, K> extends true ? K : never]-?: ColumnTypeFor<Exclude<T[K], undefined>> }
  & { [K in keyof T as IsTyped<T, K> extends true ? never : K]?: 'string' };

/** CSV options checked against row type T: every field of T that is not a string must be given its column type. */
export type CsvOptionsFor<T> = CsvSourceOptions & {
  /** Columns that must not be empty. */
  required?: readonly (keyof T & string)[];
} & (Record<never, never> extends TypesFor<T> ? { types?: TypesFor<T> } : { types: TypesFor<T> });
