import type { Deployment, DeploymentEvent } from '../../../src/core/deployment.js';
import type { Store } from '../../../src/store/store.js';
import { historyProblems, type DeploymentView } from './invariants.js';
import { http } from './http.js';

/** Every deployment as the store holds it, with its whole history (newest first). */
export interface StoreSnapshot {
  deployments: Deployment[];
  events: Map<string, DeploymentEvent[]>;
}

export async function snapshotStore(store: Store): Promise<StoreSnapshot> {
  const deployments = await store.deployments.list({ limit: 100_000 });
  const events = new Map<string, DeploymentEvent[]>();
  for (const deployment of deployments) events.set(deployment.id, await store.events.list(deployment.id, 100_000));
  return { deployments, events };
}

/** History problems of every deployment in a snapshot. */
export function snapshotProblems(snapshot: StoreSnapshot): string[] {
  return snapshot.deployments.flatMap((deployment) => historyProblems(deployment, snapshot.events.get(deployment.id) ?? []));
}

/** How the agreement check reads the API: GET a path, get status and parsed body. */
export type ApiGet = (path: string) => Promise<{ status: number; body: any }>;

/** An ApiGet over a real socket. */
export function getOverHttp(baseUrl: string, token?: string): ApiGet {
  return (path) => http(`${baseUrl}${path}`, token ? { token } : {});
}

/**
 * What the API says against what the store holds: the list (all pages), the detail of each
 * deployment and the counts by status agree with each other and with the store.
 */
export async function apiAgreementProblems(get: ApiGet, snapshot: StoreSnapshot): Promise<string[]> {
  const problems: string[] = [];
  const listed: DeploymentView[] = [];
  let before: string | null = null;
  for (let page = 0; page < 1_000; page++) {
    const query: string = before === null ? '?limit=50' : `?limit=50&before=${encodeURIComponent(before)}`;
    const response = await get(`/api/deployments${query}`);
    if (response.status !== 200) return [`GET /api/deployments${query} answered ${response.status}: ${JSON.stringify(response.body)}`];
    listed.push(...(response.body.items as DeploymentView[]));
    before = response.body.nextBefore;
    if (before === null) break;
  }
  const listedIds = listed.map((deployment) => deployment.id);
  if (new Set(listedIds).size !== listedIds.length) problems.push('the paged list repeats deployments');
  const stored = new Map(snapshot.deployments.map((deployment) => [deployment.id, deployment]));
  for (const id of stored.keys()) if (!listedIds.includes(id)) problems.push(`deployment ${id} is in the store but not in the list`);
  for (const id of listedIds) if (!stored.has(id)) problems.push(`deployment ${id} is listed but not in the store`);
  for (const deployment of listed) {
    const detail = await get(`/api/deployments/${deployment.id}`);
    if (detail.status !== 200) problems.push(`GET ${deployment.id} answered ${detail.status} although it is listed`);
    else if (detail.body.status !== deployment.status && detail.body.version === deployment.version) {
      problems.push(`${deployment.name}: list says ${deployment.status}, detail says ${detail.body.status} at the same version`);
    }
  }
  // The status filter agrees with the full list, except for deployments that moved on between the two
  // reads (the reconciler keeps working: a local model found unloaded after a restart goes back to
  // updating); those have a newer version by the time they are looked up again.
  for (const status of new Set(listed.map((deployment) => deployment.status))) {
    const filtered = await get(`/api/deployments?status=${status}&limit=1000`);
    if (filtered.status !== 200) {
      problems.push(`GET /api/deployments?status=${status} answered ${filtered.status}`);
      continue;
    }
    const inFilter = new Map((filtered.body.items as DeploymentView[]).map((deployment) => [deployment.id, deployment]));
    for (const deployment of listed.filter((candidate) => candidate.status === status && !inFilter.has(candidate.id))) {
      const now = await get(`/api/deployments/${deployment.id}`);
      if (now.body?.version === deployment.version) problems.push(`status=${status}: ${deployment.name} is ${status} in the full list but missing from the filter`);
    }
    for (const deployment of inFilter.values()) {
      if (deployment.status !== status) problems.push(`status=${status}: the filter lists ${deployment.name}, which is ${deployment.status}`);
    }
  }
  return problems;
}
