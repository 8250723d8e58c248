import type { CreateRouteBody, Route, UpdateRouteBody } from '../../api/types';
import { humanizeIssue, pathString, type SchemaIssue } from '../../lib/spec-issues';

/**
 * The route form and the API speak differently: the form keeps rows (with stable keys for React), text
 * for optional values and the canary as JSON text; the API wants the route spec. Everything that turns
 * one into the other lives here, so it can be tested without rendering.
 */

export interface TargetRow {
  key: string;
  deployment: string;
  /** Empty = the deployment's default model. */
  adapter: string;
  /** '' while the field is being typed over. */
  weight: number | '';
}

export interface FallbackRow {
  key: string;
  deployment: string;
  adapter: string;
}

export interface RouteFormValues {
  name: string;
  targets: TargetRow[];
  fallbacks: FallbackRow[];
  /** Empty = no stickiness. */
  stickyHeader: string;
  /** Empty = no canary; otherwise the canary input as JSON. */
  canaryJson: string;
}

let rowCounter = 0;
/** A key for a new form row (stable across re-renders, unique within the page). */
export function newRowKey(): string {
  rowCounter += 1;
  return `row-${rowCounter}`;
}

export function emptyRouteForm(): RouteFormValues {
  return { name: '', targets: [{ key: newRowKey(), deployment: '', adapter: '', weight: 100 }], fallbacks: [], stickyHeader: '', canaryJson: '' };
}

/** The canary fields a user may send (a running canary also carries `startedAt`, which the server sets). */
function canaryInputOf(canary: NonNullable<Route['canary']>): NonNullable<CreateRouteBody['canary']> {
  const { startedAt: _startedAt, ...input } = canary;
  return input;
}

/** The form showing an existing route. */
export function valuesOfRoute(route: Route): RouteFormValues {
  return {
    name: route.name,
    targets: route.targets.map((target) => ({ key: newRowKey(), deployment: target.deployment, adapter: target.adapter ?? '', weight: target.weight })),
    fallbacks: route.fallbacks.map((fallback) => ({ key: newRowKey(), deployment: fallback.deployment, adapter: fallback.adapter ?? '' })),
    stickyHeader: route.stickyHeader ?? '',
    canaryJson: route.canary ? JSON.stringify(canaryInputOf(route.canary), null, 2) : '',
  };
}

/**
 * Each weight as a share of the total, in percent (weights are relative and need not sum to 100). All
 * zero (or nothing) gives zeros rather than NaN; negative or non-finite weights count as zero.
 */
export function weightShares(weights: readonly number[]): number[] {
  const clean = weights.map((weight) => (Number.isFinite(weight) && weight > 0 ? weight : 0));
  const total = clean.reduce((sum, weight) => sum + weight, 0);
  return clean.map((weight) => (total === 0 ? 0 : (weight / total) * 100));
}

/** "37.5 %" → one decimal only where it matters. */
export function formatShare(share: number): string {
  const rounded = Math.round(share * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} %`;
}

export type CanaryParse = { ok: true; canary: CreateRouteBody['canary'] } | { ok: false; message: string };

/** The canary textarea: empty = none; otherwise a JSON object (the server checks its fields). */
export function parseCanaryJson(text: string): CanaryParse {
  if (text.trim() === '') return { ok: true, canary: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (parsed === null) return { ok: true, canary: null };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, message: 'a JSON object such as {"deployment": "my-model-v2", "weight": 10}' };
  // The shape is the server's to judge (and the shared schema's, before sending).
  return { ok: true, canary: parsed as NonNullable<CreateRouteBody['canary']> };
}

const ref = (row: { deployment: string; adapter: string }) => ({ deployment: row.deployment.trim(), ...(row.adapter.trim() ? { adapter: row.adapter.trim() } : {}) });

/** POST /api/routes from the form; the canary text must parse (see parseCanaryJson). */
export function toCreateBody(values: RouteFormValues): CreateRouteBody {
  const canary = parseCanaryJson(values.canaryJson);
  return {
    name: values.name.trim(),
    targets: values.targets.map((row) => ({ ...ref(row), weight: row.weight === '' ? Number.NaN : row.weight })),
    fallbacks: values.fallbacks.map(ref),
    stickyHeader: values.stickyHeader.trim() === '' ? null : values.stickyHeader.trim(),
    canary: canary.ok ? canary.canary : null,
  };
}

/**
 * PATCH /api/routes/{name}: only what differs from the route. The canary is sent only when its text
 * changed, because sending it again would restart a running canary (a new window, a new event).
 */
export function toChangesBody(route: Route, values: RouteFormValues): UpdateRouteBody {
  const next = toCreateBody(values);
  const before = valuesOfRoute(route);
  const changes: UpdateRouteBody = {};
  if (JSON.stringify(next.targets) !== JSON.stringify(toCreateBody(before).targets)) changes.targets = next.targets;
  if (JSON.stringify(next.fallbacks) !== JSON.stringify(toCreateBody(before).fallbacks)) changes.fallbacks = next.fallbacks ?? [];
  if ((next.stickyHeader ?? null) !== route.stickyHeader) changes.stickyHeader = next.stickyHeader ?? null;
  if (values.canaryJson.trim() !== before.canaryJson.trim()) changes.canary = next.canary ?? null;
  return changes;
}

/** Which form field a route spec path belongs to (`targets.1.weight` is the second row's weight). */
export function routeFieldForPath(path: string): string {
  if (path === 'name' || path === 'stickyHeader' || path === 'targets' || path === 'fallbacks') return path;
  if (path.startsWith('canary')) return 'canaryJson';
  const row = /^(targets|fallbacks)\.(\d+)(?:\.(deployment|adapter|weight))?$/.exec(path);
  if (row) return row[3] ? `${row[1]}.${row[2]}.${row[3]}` : `${row[1]}.${row[2]}.deployment`;
  return '';
}

/**
 * Validation issues (the shared schema's or the server's problem+json `issues`) as messages next to
 * fields; what no field shows goes into `other`. A canary issue names the canary field it is about.
 */
export function mapRouteIssues(issues: readonly SchemaIssue[]): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const issue of issues) {
    const path = pathString(issue.path);
    const field = routeFieldForPath(path);
    const message = humanizeIssue(issue);
    const shown = field === 'canaryJson' && path !== 'canary' ? `${path.slice('canary.'.length)}: ${message}` : message;
    if (!field) other.push(path ? `${path}: ${message}` : message);
    else if (!(field in fields)) fields[field] = shown;
  }
  return { fields, other };
}
