import type { DeploymentChanges, DeploymentSpec } from '../../core/deployment-spec.js';
import type { DeploymentStatus } from '../../core/deployment-status.js';
import type { RouteEntry } from './apply-file.js';

/** Fields PATCH can change in place. */
export const mutableFields = ['adapter', 'extraAdapters', 'hardware', 'scaling', 'timeouts', 'env', 'platformOptions'] as const;
/** Fields that make a deployment what it is: changing one means delete + create. */
export const identityFields = ['platform', 'baseModel'] as const;

/** One changed value, at its leaf (`scaling.minReplicas`). Environment values are never shown. */
export interface FieldDiff {
  field: string;
  from: unknown;
  to: unknown;
  /** The values are hidden (environment variables may hold secrets). */
  sensitive?: boolean;
}

/** What the server has now, as far as planning needs it. */
export interface CurrentDeployment {
  id: string;
  name: string;
  status: DeploymentStatus;
  config: DeploymentSpec;
}

interface Existing {
  id: string;
  status: DeploymentStatus;
}

export type DeploymentPlanEntry =
  | { action: 'create'; name: string; index: number; spec: DeploymentSpec }
  | {
      action: 'update';
      name: string;
      index: number;
      spec: DeploymentSpec;
      current: Existing;
      diffs: FieldDiff[];
      /** The PATCH body: each changed field with its whole new value. */
      changes: DeploymentChanges;
    }
  | {
      action: 'unchanged';
      name: string;
      index: number;
      current: Existing;
      /** Not running although the file wants it running (pending, stopped, stopping): deploy it. */
      deploy: boolean;
    }
  | {
      action: 'replace';
      name: string;
      index: number;
      spec: DeploymentSpec;
      current: Existing;
      diffs: FieldDiff[];
      /** Only with --replace; otherwise the plan is blocked on this entry. */
      allowed: boolean;
    }
  | { action: 'delete'; name: string; current: Existing };

export type RoutePlanEntry =
  | { action: 'create'; name: string; index: number; route: RouteEntry }
  | { action: 'update'; name: string; index: number; diffs: FieldDiff[]; changes: Record<string, unknown> }
  | { action: 'unchanged'; name: string; index: number }
  | { action: 'delete'; name: string };

export interface Plan {
  deployments: DeploymentPlanEntry[];
  routes: RoutePlanEntry[];
}

export interface PlanOptions {
  /** Delete what the file does not list. */
  prune: boolean;
  /** Allow delete + create when platform or baseModel changed. */
  replace: boolean;
}

/** Statuses in which a deployment the file wants running is deployed by apply. */
const deployableWhenUnchanged: readonly DeploymentStatus[] = ['pending', 'stopped', 'stopping'];

/**
 * Compares the file with the server, by name. Pure: the same inputs give the same plan, and a file that
 * matches the server gives a plan with nothing to do (so running apply twice changes nothing).
 */
export function planDeployments(desired: readonly DeploymentSpec[], current: readonly CurrentDeployment[], options: PlanOptions): DeploymentPlanEntry[] {
  const byName = new Map(current.map((deployment) => [deployment.name, deployment]));
  const entries: DeploymentPlanEntry[] = desired.map((spec, index) => {
    const existing = byName.get(spec.name);
    if (!existing) return { action: 'create', name: spec.name, index, spec };
    const ref = { id: existing.id, status: existing.status };
    const identityDiffs = identityFields.filter((field) => !sameValue(existing.config[field], spec[field])).map((field) => ({ field, from: existing.config[field], to: spec[field] }));
    const mutableDiffs = mutableFields.flatMap((field) => diffField(field, existing.config[field], spec[field]));
    if (identityDiffs.length > 0) {
      return { action: 'replace', name: spec.name, index, spec, current: ref, diffs: [...identityDiffs, ...mutableDiffs], allowed: options.replace };
    }
    if (mutableDiffs.length > 0) {
      const changed = mutableFields.filter((field) => !sameValue(existing.config[field], spec[field]));
      const changes = Object.fromEntries(changed.map((field) => [field, spec[field]])) as DeploymentChanges;
      return { action: 'update', name: spec.name, index, spec, current: ref, diffs: mutableDiffs, changes };
    }
    return { action: 'unchanged', name: spec.name, index, current: ref, deploy: deployableWhenUnchanged.includes(existing.status) };
  });
  if (options.prune) {
    const wanted = new Set(desired.map((spec) => spec.name));
    const extra = current.filter((deployment) => !wanted.has(deployment.name)).sort((a, b) => a.name.localeCompare(b.name));
    for (const deployment of extra) entries.push({ action: 'delete', name: deployment.name, current: { id: deployment.id, status: deployment.status } });
  }
  return entries;
}

/**
 * Routes compare only the fields the file sets (the server may add its own, like ids and timestamps).
 * `desired` null means the file does not manage routes: nothing is planned for them.
 */
export function planRoutes(desired: readonly RouteEntry[] | null, current: readonly { name: string; [field: string]: unknown }[], options: Pick<PlanOptions, 'prune'>): RoutePlanEntry[] {
  if (desired === null) return [];
  const byName = new Map(current.map((route) => [route.name, routeFields(route)]));
  const entries: RoutePlanEntry[] = desired.map((route, index) => {
    const existing = byName.get(route.name);
    if (!existing) return { action: 'create', name: route.name, index, route };
    const changedKeys = Object.keys(route).filter((key) => key !== 'name' && !sameValue(existing[key], route[key]));
    if (changedKeys.length === 0) return { action: 'unchanged', name: route.name, index };
    return {
      action: 'update',
      name: route.name,
      index,
      diffs: changedKeys.flatMap((key) => diffField(key, existing[key], route[key])),
      changes: Object.fromEntries(changedKeys.map((key) => [key, route[key]])),
    };
  });
  if (options.prune) {
    const wanted = new Set(desired.map((route) => route.name));
    for (const route of [...current].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!wanted.has(route.name)) entries.push({ action: 'delete', name: route.name });
    }
  }
  return entries;
}

/** A route's own fields, whether the API returns them flat or under `spec` (as the store keeps them). */
export function routeFields(route: { name: string; [field: string]: unknown }): Record<string, unknown> {
  const spec = route['spec'];
  return isPlainObject(spec) ? { ...route, ...spec } : route;
}

/** Does applying the plan send anything that changes the server? */
export function planChangesSomething(plan: Plan): boolean {
  return (
    plan.deployments.some((entry) => entry.action !== 'unchanged' || entry.deploy) || plan.routes.some((entry) => entry.action !== 'unchanged')
  );
}

/** Entries that need --replace; applying is refused while there are any. */
export function blockedEntries(plan: Plan): Extract<DeploymentPlanEntry, { action: 'replace' }>[] {
  return plan.deployments.filter((entry): entry is Extract<DeploymentPlanEntry, { action: 'replace' }> => entry.action === 'replace' && !entry.allowed);
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  deploy: number;
  delete: number;
  unchanged: number;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, replace: 0, deploy: 0, delete: 0, unchanged: 0 };
  for (const entry of [...plan.deployments, ...plan.routes]) {
    if (entry.action === 'unchanged' && 'deploy' in entry && entry.deploy) summary.deploy++;
    else summary[entry.action]++;
  }
  return summary;
}

/** Leaf-level differences of one field; plain objects are walked, arrays and scalars compared whole. */
export function diffField(field: string, from: unknown, to: unknown): FieldDiff[] {
  if (sameValue(from, to)) return [];
  if (field === 'env') {
    const before = isPlainObject(from) ? from : {};
    const after = isPlainObject(to) ? to : {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys
      .filter((key) => !sameValue(before[key], after[key]))
      .map((key) => ({ field: `env.${key}`, from: key in before ? '(set)' : undefined, to: key in after ? '(set)' : undefined, sensitive: true }));
  }
  if (isPlainObject(from) && isPlainObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((key) => diffField(`${field}.${key}`, from[key], to[key]));
  }
  return [{ field, from, to }];
}

/** Equality as JSON sees it: key order does not matter, an undefined key is the same as no key. */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    isPlainObject(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .filter((key) => inner[key] !== undefined)
            .map((key) => [key, inner[key]]),
        )
      : inner,
  ) ?? 'undefined';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
