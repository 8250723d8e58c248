import type { ObservedPhase } from '../connector.js';
import type { ModalAppListEntry } from './modal-api.js';

/**
 * Modal app states (from `modal app list --json`) → modelport phases. The table is also written out in
 * README.md; keep them in step. Unknown values never crash and never claim readiness: they map to
 * `provisioning` and are shown raw.
 *
 * `deployed` is only the app's state: whether vLLM answers is the health probe's job, so the connector
 * refines `deployed` into `ready`, `provisioning` or `degraded`.
 */

// A Map, not an object: a provider word like `constructor` must not find Object.prototype.
const appPhases = new Map<string, ObservedPhase>(Object.entries({
  deployed: 'ready',
  initializing: 'provisioning',
  // `modal serve` / `modal run` under our name: alive but not a deployment we made; wait it out.
  ephemeral: 'provisioning',
  'ephemeral (detached)': 'provisioning',
  detached: 'provisioning',
  // On its way to `stopped`; a stopped Modal app never comes back (a redeploy makes a new one).
  stopping: 'stopped',
  stopped: 'gone',
  // Modal disabled the app or the workspace (billing); nothing we can do from here.
  disabled: 'failed',
}));

/** `initializing...` → `initializing`: the CLI decorates transient states with dots. */
export function normaliseAppState(state: string): string {
  return state.trim().toLowerCase().replace(/\.+$/, '');
}

/** Phase of an app state word. */
export function appStatePhase(state: string): ObservedPhase {
  return appPhases.get(normaliseAppState(state)) ?? 'provisioning';
}

/** Whether the app still exists as far as deploying is concerned (anything but stopped). */
export function isLiveApp(entry: ModalAppListEntry): boolean {
  return normaliseAppState(entry.state) !== 'stopped';
}

/**
 * The row that stands for our app when several share its name (each deploy after a stop makes a new
 * app id): a live one first, then the newest.
 */
export function currentApp(entries: readonly ModalAppListEntry[], appName: string): ModalAppListEntry | null {
  const named = entries.filter((entry) => entry.name === appName);
  const newestFirst = [...named].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  return newestFirst.find(isLiveApp) ?? newestFirst[0] ?? null;
}
