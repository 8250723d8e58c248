import type { Observation } from '../connector.js';
import type { ReplicateDeployment } from './replicate-api.js';

/**
 * Replicate deployments have no status field, so readiness is inferred: the deployment exists, its
 * release matches what modelport applied, it is not disabled (0/0), and a warm-up prediction has left
 * `starting` (an instance booted and ran the model). The table lives in README.md; this is its code.
 */

/** What the connector knows about the warm-up prediction of the current release. */
export type WarmupState =
  /** No warm-up exists yet (creating it failed transiently); the next observe creates one. */
  | { kind: 'none' }
  /** Replicate refused the warm-up input (4xx); the model cannot be driven with the configured input names. */
  | { kind: 'rejected'; message: string }
  | {
      kind: 'prediction';
      status: string;
      error: string | null;
      /** Whether the model's predict() began (an instance was up). */
      started: boolean;
      /** Milliseconds since the warm-up was created, on the connector's clock. */
      ageMs: number;
      budgetMs: number;
    };

/** The configuration modelport applied (from the provider reference). */
export interface AppliedRelease {
  model: string;
  version: string;
  hardware: string;
  minInstances: number;
  maxInstances: number;
}

export interface ReplicateObservationInput {
  /** null when `GET /deployments/{owner}/{name}` answered 404. */
  deployment: ReplicateDeployment | null;
  applied: AppliedRelease;
  warmup: WarmupState;
  endpointUrl: string;
}

/** Differences between the live release and what was applied, as `field: live (want applied)`. */
export function releaseDrift(deployment: ReplicateDeployment, applied: AppliedRelease): string[] {
  const release = deployment.current_release;
  const configuration = release?.configuration;
  const drift: string[] = [];
  const compare = (field: string, live: unknown, want: unknown): void => {
    if (live !== undefined && live !== null && live !== want) drift.push(`${field} ${String(live)} (want ${String(want)})`);
  };
  compare('model', release?.model, applied.model);
  compare('version', release?.version, applied.version);
  compare('hardware', configuration?.hardware, applied.hardware);
  compare('min_instances', configuration?.min_instances, applied.minInstances);
  compare('max_instances', configuration?.max_instances, applied.maxInstances);
  return drift;
}

/** True when the deployment is disabled: no instance may run, billing halted. */
export function isDisabled(deployment: ReplicateDeployment): boolean {
  return deployment.current_release?.configuration?.max_instances === 0;
}

export function observeReplicate(input: ReplicateObservationInput): Observation {
  const { deployment, warmup } = input;
  if (deployment === null) {
    return { phase: 'gone', endpointUrl: null, providerStatus: 'not found', message: 'the deployment no longer exists on Replicate' };
  }
  if (isDisabled(deployment)) {
    return {
      phase: 'stopped',
      endpointUrl: null,
      providerStatus: 'disabled',
      message: 'disabled (min and max instances 0): no instance runs and nothing is billed',
    };
  }
  const drift = releaseDrift(deployment, input.applied);
  const endpointUrl = input.endpointUrl;
  const release = deployment.current_release?.number;
  const releaseText = release === undefined ? '' : `release ${release}: `;

  const base = ((): Observation => {
    switch (warmup.kind) {
      case 'none':
        return { phase: 'provisioning', endpointUrl, providerStatus: 'no warm-up yet', message: `${releaseText}waiting to send the warm-up prediction` };
      case 'rejected':
        return {
          phase: 'failed',
          endpointUrl,
          providerStatus: 'warm-up rejected',
          message: `${releaseText}Replicate rejected the warm-up prediction: ${warmup.message}. Check platformOptions.replicate.inputFields or warmupInput against the model's inputs`,
        };
      case 'prediction':
        return fromWarmupPrediction(warmup, endpointUrl, releaseText, input.applied.minInstances);
    }
  })();
  if (drift.length > 0 && base.phase === 'ready') {
    return { ...base, phase: 'degraded', message: `live configuration differs from what modelport applied: ${drift.join(', ')}` };
  }
  return base;
}

function fromWarmupPrediction(
  warmup: Extract<WarmupState, { kind: 'prediction' }>,
  endpointUrl: string,
  releaseText: string,
  minInstances: number,
): Observation {
  const providerStatus = warmup.status;
  const budgetSeconds = Math.round(warmup.budgetMs / 1000);
  const readyMessage =
    minInstances === 0
      ? `${releaseText}an instance answered; scales to zero when idle, so the first request after a pause waits for a cold boot`
      : `${releaseText}an instance answered; ${minInstances} kept warm`;
  switch (warmup.status) {
    case 'starting':
      if (warmup.ageMs > warmup.budgetMs) {
        return {
          phase: 'failed',
          endpointUrl,
          providerStatus,
          message: `${releaseText}no instance came up within the cold-boot budget of ${budgetSeconds} s (platformOptions.replicate.coldBootBudgetSeconds)`,
        };
      }
      return {
        phase: 'provisioning',
        endpointUrl,
        providerStatus,
        message: `${releaseText}cold boot: waiting for an instance (${Math.round(warmup.ageMs / 1000)} s of ${budgetSeconds} s budget)`,
      };
    case 'processing':
    case 'succeeded':
      return { phase: 'ready', endpointUrl, providerStatus, message: readyMessage };
    case 'failed':
      return {
        phase: 'failed',
        endpointUrl,
        providerStatus,
        message: `${releaseText}the warm-up prediction failed: ${warmup.error ?? 'no error message given'}`,
      };
    case 'canceled':
      // Canceled after it started still proves an instance ran the model (a deadline or a user cancel).
      return warmup.started
        ? { phase: 'ready', endpointUrl, providerStatus, message: readyMessage }
        : { phase: 'failed', endpointUrl, providerStatus, message: `${releaseText}the warm-up prediction was canceled before an instance started` };
    case 'aborted':
      return {
        phase: 'failed',
        endpointUrl,
        providerStatus,
        message: `${releaseText}the warm-up prediction was aborted before it started: no instance came up within ${budgetSeconds} s`,
      };
    default:
      // An unknown status word: keep waiting (the cold-boot budget still bounds it) and show it raw.
      if (warmup.ageMs > warmup.budgetMs) {
        return { phase: 'failed', endpointUrl, providerStatus, message: `${releaseText}warm-up still '${warmup.status}' after the cold-boot budget of ${budgetSeconds} s` };
      }
      return { phase: 'provisioning', endpointUrl, providerStatus, message: `${releaseText}warm-up status '${warmup.status}' (unknown to modelport)` };
  }
}
