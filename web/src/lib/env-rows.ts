/**
 * Environment variables as the forms edit them: rows (a record cannot hold a half-typed or a repeated
 * name), turned into the spec's `env` record when sent.
 */

/** One environment variable row; `id` keeps React keys stable while rows are edited. */
export interface EnvRow {
  id: string;
  key: string;
  value: string;
}

let rowCounter = 0;

export function newEnvRowId(): string {
  return `env-${Date.now().toString(36)}-${(rowCounter++).toString(36)}`;
}

/** Rows of a spec's env record, in its order. */
export function envRowsOf(env: Record<string, string> | undefined): EnvRow[] {
  return Object.entries(env ?? {}).map(([key, value]) => ({ id: newEnvRowId(), key, value }));
}

/** The spec's env record; rows left completely empty are ignored. */
export function envRecordOf(rows: readonly EnvRow[]): Record<string, string> {
  return Object.fromEntries(rows.filter((row) => row.key !== '' || row.value !== '').map((row) => [row.key, row.value]));
}

/** What the schema cannot see in a record: a value without a name, and a name set twice (a record keeps one). */
export function envRowErrors(rows: readonly EnvRow[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    if (row.key === '' && row.value !== '') errors[`env.${index}.key`] = 'name the variable';
    if (row.key === '') return;
    if (seen.has(row.key)) errors[`env.${index}.key`] = `${row.key} is already set above`;
    else seen.add(row.key);
  });
  return errors;
}
