import type { DeploymentEvent } from '../core/deployment.js';
import { costOfTime } from '../core/pricing.js';
import { queryMetrics, type MetricsWindow } from '../metrics/metrics-query.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { Clock } from '../platforms/connector.js';
import type { PlatformRegistry } from '../platforms/registry.js';
import type { Store } from '../store/store.js';
import type { DeploymentService } from './deployment-service.js';

/**
 * Usage metrics of a deployment over a window: request statistics from the rollups, plus the
 * infrastructure cost of dedicated hardware for the time it was active in that window.
 */
export function createMetricsService(deps: {
  store: Store;
  deployments: DeploymentService;
  registry: PlatformRegistry;
  clock: Clock;
  /** The local recorder: its not yet flushed rows are merged in, so a request just made is counted. */
  recorder: Pick<MetricsRecorder, 'unflushedRollups'>;
}) {
  return {
    async get(deploymentId: string, window: MetricsWindow) {
      const deployment = await deps.deployments.get(deploymentId);
      const now = deps.clock.now();
      const metrics = await queryMetrics(deps.store, { deploymentId: deployment.id, window, now, recorder: deps.recorder });
      const connector = deps.registry.get(deployment.platform);
      const hourly = connector.hourlyPrice(deployment.config);
      const from = Date.parse(metrics.from);
      const activeSeconds = activeSecondsBetween(await deps.store.events.list(deployment.id, 10_000), from, now, deployment.status === 'active' || deployment.status === 'updating');
      const replicas = Math.max(1, deployment.config.scaling.minReplicas);
      const infrastructureUsd = costOfTime(hourly, activeSeconds * replicas);
      return {
        ...metrics,
        cost: {
          ...metrics.cost,
          infrastructureUsd,
          pricing: connector.info.pricing.model,
        },
      };
    },
  };
}

/**
 * Seconds spent serving (active or updating) inside [from, to), from the transition history.
 * Events come newest first.
 */
export function activeSecondsBetween(events: DeploymentEvent[], from: number, to: number, servingNow: boolean): number {
  const serving = (status: string | null) => status === 'active' || status === 'updating';
  let total = 0;
  let intervalEnd = servingNow ? to : null;
  for (const event of events) {
    const at = Date.parse(event.at);
    if (serving(event.to) && !serving(event.from) && intervalEnd !== null) {
      total += Math.max(0, Math.min(intervalEnd, to) - Math.max(at, from));
      intervalEnd = null;
    } else if (!serving(event.to) && serving(event.from)) {
      intervalEnd = at;
    }
    if (at < from && intervalEnd === null) break;
  }
  return total / 1000;
}
