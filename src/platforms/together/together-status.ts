import type { FinishReason } from '../../core/invocation.js';
import type { Observation, ObservedPhase } from '../connector.js';

/**
 * Provider status words → modelport phases. The table is also written out in README.md; keep them in step.
 * Unknown values never crash and never claim readiness: they map to `provisioning` and are shown raw.
 */

// A Map, not an object: a provider word like `constructor` must not find Object.prototype.
const endpointPhases = new Map<string, ObservedPhase>(Object.entries({
  PENDING: 'provisioning',
  STARTING: 'provisioning',
  STARTED: 'ready',
  // On its way to STOPPED (user stop or inactive_timeout); it will not become ready on its own.
  STOPPING: 'stopped',
  STOPPED: 'stopped',
  ERROR: 'failed',
}));

/** Maps a dedicated endpoint's `state`. */
export function endpointPhase(state: string): ObservedPhase {
  return endpointPhases.get(state.trim().toUpperCase()) ?? 'provisioning';
}

// A Map, not an object: a provider word like `constructor` must not find Object.prototype.
const jobPhases = new Map<string, ObservedPhase>(Object.entries({
  queued: 'provisioning',
  running: 'provisioning',
  // Mentioned by the docs' troubleshooting page, absent from the spec's enum.
  processing: 'provisioning',
  complete: 'ready',
  completed: 'ready',
  failed: 'failed',
}));

/** Maps an adapter upload job's `status` (`Queued | Running | Complete | Failed`). */
export function jobPhase(status: string): ObservedPhase {
  return jobPhases.get(status.trim().toLowerCase()) ?? 'provisioning';
}

const phaseRank: Record<ObservedPhase, number> = {
  failed: 0,
  gone: 1,
  stopped: 2,
  provisioning: 3,
  degraded: 4,
  ready: 5,
};

/** Several adapter jobs make one deployment: it is only as far along as its slowest (or failed) job. */
export function worstObservation(observations: Observation[]): Observation | null {
  let worst: Observation | null = null;
  for (const observation of observations) {
    if (worst === null || phaseRank[observation.phase] < phaseRank[worst.phase]) worst = observation;
  }
  return worst;
}

/**
 * Together's `finish_reason`: OpenAI's words plus `eos` (end of sequence, a natural stop). Tool and
 * function calls end a turn normally, so they count as `stop` too.
 */
export function togetherFinishReason(raw: string | null): FinishReason {
  switch (raw?.trim().toLowerCase()) {
    case 'stop':
    case 'eos':
    case 'tool_calls':
    case 'function_call':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'error':
      return 'error';
    default:
      return 'unknown';
  }
}
