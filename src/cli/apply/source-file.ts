import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { CliError, type CliIssue } from '../cli-error.js';

/** A parsed YAML (or JSON: YAML is a superset) file that still knows where each value came from. */
export interface SourceFile {
  /** The path as the user gave it, used in messages (`modelport.yaml:7:5`). */
  displayPath: string;
  document: Document.Parsed;
  lineCounter: LineCounter;
  /** The plain JavaScript value of the document. */
  value: unknown;
}

/** 1-based line and column, as editors show them. */
export interface SourcePosition {
  line: number;
  col: number;
}

/** Parses YAML or JSON text; syntax errors are a validation_failed CliError pointing at line:column. */
export function parseSourceFile(text: string, displayPath: string): SourceFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => {
      const position = lineCounter.linePos(error.pos[0]);
      // The message's first sentence is the useful part; position is in `where`.
      const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      return { path: '', message, where: `${displayPath}:${position.line}:${position.col}` };
    });
    throw new CliError('validation_failed', `${displayPath} is not valid YAML`, { issues });
  }
  return { displayPath, document, lineCounter, value: document.toJS({ maxAliasCount: 100 }) };
}

/**
 * Where the value at `path` is written. A path that goes further than the file (a missing key) points
 * at the closest enclosing value, which is where the key should be added.
 */
export function locate(source: SourceFile, path: readonly PropertyKey[]): { position: SourcePosition | null; found: boolean } {
  let node: unknown = source.document.contents;
  let offset = rangeStart(node);
  let found = true;
  for (const segment of path) {
    const next = child(node, segment);
    if (next === undefined) {
      found = false;
      break;
    }
    node = next.value ?? null;
    // `key:` with no value: point at the key.
    offset = rangeStart(next.value) ?? rangeStart(next.key) ?? offset;
  }
  return { position: offset === undefined ? null : source.lineCounter.linePos(offset), found };
}

/** Where the key `key` of the map at `path` is written (for "unknown field" messages). */
export function locateKey(source: SourceFile, path: readonly PropertyKey[], key: string): SourcePosition | null {
  let node: unknown = source.document.contents;
  for (const segment of path) {
    const next = child(node, segment);
    if (next === undefined) return locate(source, path).position;
    node = next.value;
  }
  const pair = isMap(node) ? node.items.find((item) => isPair(item) && scalarKey(item.key) === key) : undefined;
  const offset = rangeStart(pair?.key);
  return offset === undefined ? locate(source, path).position : source.lineCounter.linePos(offset);
}

function child(node: unknown, segment: PropertyKey): { key: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => scalarKey(item.key) === String(segment));
    return pair ? { key: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { key: undefined, value: item };
  }
  return undefined;
}

function scalarKey(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** `['deployments', 0, 'scaling', 'minReplicas']` → `deployments[0].scaling.minReplicas`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${String(segment)}` : String(segment)), '');
}

/**
 * Validates the file's value with a zod schema (the server's own) and turns every issue into a message
 * that names the file position: `modelport.yaml:7:5 deployments[0].scaling.minReplicas: …`.
 * `basePath` says where in the file `value` sits (default: the whole document).
 */
export function validateSource<Schema extends z.ZodType>(
  source: SourceFile,
  schema: Schema,
  options: { value?: unknown; basePath?: PropertyKey[]; what?: string } = {},
): z.infer<Schema> {
  const basePath = options.basePath ?? [];
  const parsed = schema.safeParse(options.value === undefined ? source.value : options.value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((issue) => issueAt(source, [...basePath, ...issue.path], issue));
  throw new CliError('validation_failed', `${options.what ?? source.displayPath} is not valid: ${issues.length === 1 ? '1 problem' : `${issues.length} problems`}`, { issues });
}

/** Server issues (`scaling.minReplicas`) for a part of the file, located in it where possible. */
export function locateIssues(source: SourceFile, basePath: PropertyKey[], issues: CliIssue[]): CliIssue[] {
  return issues.map((issue) => {
    const path = [...basePath, ...issue.path.split('.').filter(Boolean).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment))];
    const { position } = locate(source, path);
    return { ...issue, path: formatIssuePath(path), ...(position ? { where: `${source.displayPath}:${position.line}:${position.col}` } : {}) };
  });
}

function issueAt(source: SourceFile, path: PropertyKey[], issue: z.core.$ZodIssue): CliIssue[] {
  const where = (position: SourcePosition | null) => (position ? { where: `${source.displayPath}:${position.line}:${position.col}` } : {});
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatIssuePath([...path, key]), message: 'unknown field', ...where(locateKey(source, path, key)) }));
  }
  const { position, found } = locate(source, path);
  const missing = !found && issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  return [{ path: formatIssuePath(path), message: missing ? `is required (${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})` : issue.message, ...where(position) }];
}
