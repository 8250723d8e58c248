import type { ObservedPhase } from '../connector.js';

/**
 * Maps a Predibase deployment status to an observed phase. The table is in README.md. Predibase's docs
 * list the statuses in display case and the SDK compares them lower-case, so casing is ignored. An unknown
 * status maps to `provisioning`: the deploy timeout then fails it rather than us calling it ready.
 */
export interface PredibaseStatusMapping {
  phase: ObservedPhase;
  /** Why, in words a user can act on; absent when the phase says it all. */
  message?: string;
}

const mapping: Record<string, PredibaseStatusMapping> = {
  pending: { phase: 'provisioning', message: 'Predibase accepted the deployment; infrastructure is not created yet' },
  initializing: { phase: 'provisioning', message: 'the first replica is starting (downloading and loading the model)' },
  ready: { phase: 'ready' },
  // Scaled to zero: it answers, after a cold start, so it counts as ready.
  standby: { phase: 'ready', message: 'scaled to zero; the next request wakes it (expect a cold start)' },
  // Still serving the old configuration, but the change has not landed: callers waiting for it must wait.
  updating: { phase: 'provisioning', message: 'a configuration change is rolling out; the deployment keeps serving meanwhile' },
  stopped: { phase: 'stopped', message: 'stopped on Predibase: it will not scale up until it is started again' },
  errored: { phase: 'failed' },
  failed: { phase: 'failed' },
  deleted: { phase: 'gone' },
};

export function mapPredibaseStatus(status: string | null | undefined): PredibaseStatusMapping {
  if (status === null || status === undefined || status.trim() === '') {
    return { phase: 'provisioning', message: 'Predibase reported no status yet' };
  }
  const known = mapping[status.trim().toLowerCase()];
  return known ?? { phase: 'provisioning', message: `unrecognised Predibase status '${status}'; waiting for a known one` };
}
