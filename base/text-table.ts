/** The one helper for every table printed on a terminal: aligned columns, no borders, two spaces between. */
import Table from 'cli-table3';

/** How a column lines up. */
export type Align = 'left' | 'right';

const NO_BORDER = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** The lines of a table; the first column is left-aligned and the others right-aligned unless `align` says otherwise. */
export function textTable(header: string[], rows: string[][], o: { align?: Align[]; indent?: string } = {}): string[] {
  const align = header.map((_, i) => o.align?.[i] ?? (i === 0 ? 'left' : 'right'));
  const t = new Table({ head: header, chars: NO_BORDER, colAligns: align, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  t.push(...rows);
  return t.toString().split('\n').map((l) => (o.indent ?? '') + l.trimEnd());
}
