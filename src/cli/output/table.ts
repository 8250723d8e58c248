import { visibleWidth } from './style.js';

/** One column of a table: its heading and whether numbers align right. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * Plain aligned columns, two spaces apart, header first — the shape `kubectl get` and `docker ps` use,
 * easy to read and to `grep`/`awk`. Cells may carry ANSI colour; widths ignore it.
 * Lines carry no trailing spaces.
 */
export function renderTable(columns: Column[], rows: string[][], options: { headerStyle?: (text: string) => string } = {}): string {
  const widths = columns.map((column, index) => Math.max(visibleWidth(column.header), ...rows.map((row) => visibleWidth(row[index] ?? ''))));
  const line = (cells: string[]) =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const pad = ' '.repeat(Math.max(0, (widths[index] ?? 0) - visibleWidth(cell)));
        if (column.align === 'right') return pad + cell;
        return cell + pad;
      })
      .join('  ')
      .trimEnd();
  const header = line(columns.map((column) => column.header));
  return [options.headerStyle ? options.headerStyle(header) : header, ...rows.map(line)].join('\n') + '\n';
}

/** `key   value` pairs with the keys aligned, for a single record (`deployment get`, `metrics`). */
export function renderDetails(pairs: [string, string][], options: { keyStyle?: (text: string) => string } = {}): string {
  const width = Math.max(0, ...pairs.map(([key]) => visibleWidth(key)));
  return (
    pairs
      .map(([key, value]) => {
        const label = key + ' '.repeat(width - visibleWidth(key));
        return `${options.keyStyle ? options.keyStyle(label) : label}  ${value}`;
      })
      .join('\n') + '\n'
  );
}
