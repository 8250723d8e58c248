/**
 * Turning validation issues (zod's, from the shared schema, or the server's problem+json `issues`) into
 * messages next to the form fields that caused them. The server speaks in spec paths and milliseconds;
 * the forms speak in fields and seconds.
 */

/** The subset of a zod issue this module reads. */
export interface SchemaIssue {
  code?: string;
  path: readonly PropertyKey[] | string;
  message: string;
  origin?: string;
  expected?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  issues?: readonly SchemaIssue[];
}

export interface FieldTarget {
  field: string;
  /** The form shows this value divided by `scale` (ms → s). */
  scale?: number;
  unit?: string;
}

/** The env rows, to point an `env.NAME` issue at the row that holds NAME. */
export interface IssueContext {
  envKeys?: readonly string[];
}

export function pathString(path: SchemaIssue['path']): string {
  return typeof path === 'string' ? path : path.map(String).join('.');
}

/** Which form field a spec path belongs to; null when no field shows it (the issue goes to the summary). */
export function fieldForPath(path: string, context: IssueContext = {}): FieldTarget | null {
  if (path === 'name' || path === 'platform' || path === 'baseModel' || path === 'hardware') return { field: path };
  if (path === 'adapter' || path.startsWith('adapter.') || path.startsWith('extraAdapters')) return { field: 'adapterId' };
  if (path === 'scaling' || path === 'scaling.minReplicas') return { field: 'minReplicas' };
  if (path === 'scaling.maxReplicas') return { field: 'maxReplicas' };
  if (path === 'scaling.scaleDownDelaySeconds') return { field: 'scaleDownDelaySeconds' };
  if (path === 'timeouts.requestMs') return { field: 'requestTimeoutSeconds', scale: 1000, unit: 's' };
  if (path === 'timeouts.deployMs') return { field: 'deployTimeoutSeconds', scale: 1000, unit: 's' };
  if (path.startsWith('env.')) {
    const index = context.envKeys?.indexOf(path.slice('env.'.length)) ?? -1;
    return { field: index >= 0 ? `env.${index}.key` : 'env' };
  }
  if (path === 'env') return { field: 'env' };
  if (path === 'platformOptions.baseUrl') return { field: 'baseUrl' };
  if (path === 'platformOptions.apiKeyEnv') return { field: 'apiKeyEnv' };
  if (path === 'platformOptions' || path.startsWith('platformOptions.')) return { field: 'platformOptions' };
  return null;
}

/** A message a person can act on, in the unit the field shows. */
export function humanizeIssue(issue: SchemaIssue, target: Pick<FieldTarget, 'scale' | 'unit'> = {}): string {
  const scale = target.scale ?? 1;
  const unit = target.unit ? ` ${target.unit}` : '';
  const bound = (value: number | bigint) => `${Number(value) / scale}${unit}`;
  switch (issue.code) {
    case 'too_small':
      if (issue.minimum === undefined) break;
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'required' : `at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `at least ${issue.minimum} items`;
      if (issue.origin === 'number') return `must be at least ${bound(issue.minimum)}`;
      break;
    case 'too_big':
      if (issue.maximum === undefined) break;
      if (issue.origin === 'string') return `at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `at most ${issue.maximum} items`;
      if (issue.origin === 'number') return `must be at most ${bound(issue.maximum)}`;
      break;
    case 'invalid_type':
      if (issue.expected === 'number') return 'enter a number';
      if (issue.expected === 'int') return 'enter a whole number';
      if (issue.expected === 'string') return 'required';
      break;
    case 'invalid_key':
      return issue.issues?.[0]?.message ?? issue.message;
    case 'invalid_value':
      return issue.message.replace(/^Invalid option: expected one of /, 'choose one of ');
    default:
      break;
  }
  return issue.message;
}

export interface MappedIssues {
  /** Form field → message (first issue per field wins). */
  fields: Record<string, string>;
  /** Issues no field shows, as `path: message`. */
  other: string[];
}

/** Maps a list of issues onto form fields. */
export function mapIssues(issues: readonly SchemaIssue[], context: IssueContext = {}): MappedIssues {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const issue of issues) {
    const path = pathString(issue.path);
    const target = fieldForPath(path, context);
    const message = humanizeIssue(issue, target ?? {});
    if (!target) other.push(path ? `${path}: ${message}` : message);
    else if (!(target.field in fields)) fields[target.field] = message;
  }
  return { fields, other };
}
