/**
 * Splits rows into chunks whose multi-row INSERT stays under the dialect's bound-parameter limit
 * (SQLite 32766, PostgreSQL 65535). Rows are assumed to have the same columns as the first one.
 */
export function chunksUnderParameterLimit<Row extends object>(rows: readonly Row[], maxParameters: number): Row[][] {
  const first = rows[0];
  if (first === undefined) return [];
  const columns = Math.max(1, Object.keys(first).length);
  const rowsPerChunk = Math.max(1, Math.floor(maxParameters / columns));
  const chunks: Row[][] = [];
  for (let start = 0; start < rows.length; start += rowsPerChunk) chunks.push(rows.slice(start, start + rowsPerChunk));
  return chunks;
}
