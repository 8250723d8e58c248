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

/** Ids per statement when reading rows by id: far below either dialect's parameter limit, and a few statements for thousands. */
const IDS_PER_STATEMENT = 500;

/** Reads rows by id in statements of at most {@link IDS_PER_STATEMENT} ids, in the order the slices return them. */
export async function selectByIds<Row>(ids: readonly string[], select: (slice: string[]) => Promise<Row[]>): Promise<Row[]> {
  const found: Row[] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
    for (const row of await select(ids.slice(start, start + IDS_PER_STATEMENT))) found.push(row);
  }
  return found;
}
