import { z } from 'zod';

/**
 * Shapes of what the `modal` CLI prints as JSON. Loose: extra keys never crash, and both key spellings
 * are read because they changed in modal 1.5.0 (column titles `App ID`, `Description`… before;
 * lower_snake_case `app_id`, `description`… since).
 */

/** `tasks` is a string in the CLI's JSON (a table cell); older or future versions may print a number. */
const countSchema = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((value) => {
    if (value === null || value === undefined) return null;
    const parsed = typeof value === 'number' ? value : Number.parseInt(value, 10);
    return Number.isFinite(parsed) ? parsed : null;
  });

const AppListEntrySchema = z.looseObject({
  app_id: z.string(),
  /** Holds the app name for deployed apps; there is no separate `name` key. */
  description: z.string().nullish(),
  name: z.string().nullish(),
  state: z.string().nullish(),
  tasks: countSchema,
  created_at: z.string().nullish(),
  stopped_at: z.string().nullish(),
});

/** One row of `modal app list --json`, normalised. */
export interface ModalAppListEntry {
  appId: string;
  name: string;
  /** The raw state word, e.g. `deployed`, `stopping...`, `ephemeral (detached)`. */
  state: string;
  /** Running containers, when the CLI said. */
  tasks: number | null;
  createdAt: string | null;
  stoppedAt: string | null;
}

/** `App ID` → `app_id`, `Created at` → `created_at`: the 1.5.0 renaming applied to old keys. */
function normaliseKeys(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key.trim().toLowerCase().replace(/[\s-]+/g, '_'), value]),
  );
}

/**
 * Parses `modal app list --json` output. Rows that do not look like apps are skipped (and counted),
 * never fatal; output that is not a JSON array at all is an error the caller reports.
 */
export function parseAppList(stdout: string): { apps: ModalAppListEntry[]; skipped: number } | { error: string } {
  const parsed = parseJsonArray(stdout);
  if (parsed === undefined) return { error: 'expected a JSON array from `modal app list --json`' };
  const apps: ModalAppListEntry[] = [];
  let skipped = 0;
  for (const row of parsed) {
    const result =
      typeof row === 'object' && row !== null && !Array.isArray(row)
        ? AppListEntrySchema.safeParse(normaliseKeys(row as Record<string, unknown>))
        : null;
    const name = result?.success ? (result.data.description ?? result.data.name ?? '') : '';
    if (result === null || !result.success || name === '') {
      skipped += 1;
      continue;
    }
    apps.push({
      appId: result.data.app_id,
      name,
      state: result.data.state ?? 'unknown',
      tasks: result.data.tasks,
      createdAt: result.data.created_at ?? null,
      stoppedAt: result.data.stopped_at ?? null,
    });
  }
  return { apps, skipped };
}

/**
 * The JSON array in the output: all of it, or from the first line that opens an array (a notice such as
 * "A new version of modal is available" may come first). Undefined when there is none.
 */
function parseJsonArray(stdout: string): unknown[] | undefined {
  const lines = stdout.split('\n');
  const starts = [0, ...lines.flatMap((line, index) => (line.trimStart().startsWith('[') ? [index] : []))];
  for (const start of new Set(starts)) {
    try {
      const value: unknown = JSON.parse(lines.slice(start).join('\n'));
      if (Array.isArray(value)) return value;
    } catch {
      // Not here; try the next candidate.
    }
  }
  return undefined;
}
