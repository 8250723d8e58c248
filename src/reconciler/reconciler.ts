import type { Deployment, LastError, ProviderRef } from '../core/deployment.js';
import { isTransient } from '../core/deployment-status.js';
import { periodic } from '../core/periodic.js';
import { isModelportError, ModelportError, TimeoutError } from '../core/errors/index.js';
import type { Clock, Logger, Observation, PlatformConnector } from '../platforms/connector.js';
import type { PlatformRegistry } from '../platforms/registry.js';
import type { ConnectorContexts } from '../services/connector-contexts.js';
import type { Actor, DeploymentService } from '../services/deployment-service.js';
import type { Store } from '../store/store.js';
import { backoffDelay } from '../platforms/http/backoff.js';

export interface ReconcilerOptions {
  store: Store;
  registry: PlatformRegistry;
  contexts: ConnectorContexts;
  deployments: DeploymentService;
  clock: Clock;
  logger: Logger;
  /** Unique per process: the lease owner. */
  ownerId: string;
  intervalMs: number;
  leaseTtlMs: number;
  /** How often active deployments are observed for health and lost resources. */
  observeActiveEveryMs: number;
  /** The URL clients call for a deployment (the gateway), set when it becomes active. */
  endpointUrlFor: (deployment: Deployment) => string;
  /** Deployments worked on at once. */
  concurrency?: number;
}

const actor: Actor = { name: 'reconciler' };
/** Between retries of a failing step: full jitter, up to 30 s (Retry-After wins when longer). */
const reconcileBackoff = { baseMs: 500, capMs: 30_000 };

/**
 * Drives deployments in a transient status (deploying, updating, stopping) to a stable one, and keeps an
 * eye on active ones. Connectors report facts; every decision about status is made here and written as a
 * compare-and-set with an event. Safe to run in several processes: a lease on the row decides who acts.
 * Safe to crash: all progress is in the store, and connector calls are idempotent.
 */
export function createReconciler(options: ReconcilerOptions) {
  const { store, registry, clock, logger } = options;
  const concurrency = options.concurrency ?? 4;
  const inFlight = new Set<string>();
  /** The running step per deployment: its signal ends connector calls on shutdown or a lost lease. */
  const steps = new Map<string, AbortController>();
  /** Leases this process holds; released when a deployment settles and on shutdown. */
  const held = new Set<string>();
  /** Retry schedule for failing steps; losing it on a crash only means one earlier retry. */
  const retries = new Map<string, { attempt: number; notBefore: number }>();
  /** Config versions whose update this process already sent; a crash means one more idempotent update. */
  const updatesSent = new Map<string, string>();
  let lastActiveSweep = 0;
  /**
   * Active deployments the last sweep could not look at because another process held their lease (after
   * a crash, the dead process's lease until it expires): looked at on every tick until they are, so a
   * local model lost with the old process is found as soon as that lease expires, not a sweep later.
   */
  const sweepLeft = new Set<string>();
  let stopped = true;
  const stopController = new AbortController();

  async function tick(): Promise<void> {
    const due: Deployment[] = await store.deployments.listTransient(200);
    const swept = new Set<string>();
    if (clock.now() - lastActiveSweep >= options.observeActiveEveryMs) {
      lastActiveSweep = clock.now();
      for (const deployment of await store.deployments.list({ status: 'active', limit: 1000 })) {
        due.push(deployment);
        swept.add(deployment.id);
      }
    } else {
      for (const id of sweepLeft) {
        const deployment = await store.deployments.get(id);
        if (deployment?.status === 'active') {
          due.push(deployment);
          swept.add(id);
        } else sweepLeft.delete(id);
      }
    }
    const ready = due.filter((deployment) => !inFlight.has(deployment.id) && (retries.get(deployment.id)?.notBefore ?? 0) <= clock.now());
    for (let index = 0; index < ready.length; index += concurrency) {
      await Promise.all(
        ready.slice(index, index + concurrency).map(async ({ id }) => {
          const ran = await reconcileOne(id);
          if (!swept.has(id)) return;
          if (ran) sweepLeft.delete(id);
          else sweepLeft.add(id);
        }),
      );
    }
  }

  /** Runs one step on the deployment; false when it could not (in flight here, or leased by another process). */
  async function reconcileOne(id: string): Promise<boolean> {
    if (inFlight.has(id)) return false;
    inFlight.add(id);
    try {
      if (!(await store.deployments.claimLease(id, options.ownerId, options.leaseTtlMs, clock.now()))) return false;
      held.add(id);
      const deployment = await store.deployments.get(id);
      if (!deployment) return true;
      const stepController = new AbortController();
      const onStop = () => stepController.abort(stopController.signal.reason);
      stopController.signal.addEventListener('abort', onStop, { once: true });
      // A provider call may outlast the lease (a slow create, a Modal build): renew it while the step
      // runs, and abandon the step if another replica took over meanwhile.
      const renewal = setInterval(() => {
        store.deployments.claimLease(id, options.ownerId, options.leaseTtlMs, clock.now()).then(
          (renewed) => {
            if (!renewed) stepController.abort(new ModelportError('conflict', 'lease lost to another replica'));
          },
          (error: unknown) => logger.warn('could not renew a lease', { deploymentId: id, error }),
        );
      }, Math.max(50, Math.floor(options.leaseTtlMs / 3)));
      steps.set(id, stepController);
      try {
        await step(deployment);
        retries.delete(id);
      } catch (error) {
        // Aborted by shutdown or a lost lease: not the deployment's failure; whoever holds it goes on.
        if (!stepController.signal.aborted) await handleFailure(id, error);
      } finally {
        clearInterval(renewal);
        steps.delete(id);
        stopController.signal.removeEventListener('abort', onStop);
      }
      // Stable now: let go, so another replica need not wait for the lease to expire.
      const after = await store.deployments.get(id);
      if (!after || !isTransient(after.status)) await release(id);
      return true;
    } catch (error) {
      logger.error('reconcile step crashed', { deploymentId: id, error });
      return true;
    } finally {
      inFlight.delete(id);
    }
  }

  async function release(id: string): Promise<void> {
    held.delete(id);
    await store.deployments.releaseLease(id, options.ownerId).catch((error: unknown) => logger.warn('could not release a lease', { deploymentId: id, error }));
  }

  function contextFor(deployment: Deployment) {
    return options.contexts.create(deployment.id, deployment.config, steps.get(deployment.id)?.signal ?? stopController.signal);
  }

  function elapsedInStatus(deployment: Deployment): number {
    return clock.now() - Date.parse(deployment.statusSince);
  }

  async function step(deployment: Deployment): Promise<void> {
    const connector = registry.get(deployment.platform);
    switch (deployment.status) {
      case 'deploying':
      case 'updating':
        return converge(deployment, connector);
      case 'stopping':
        return stop(deployment, connector);
      case 'active':
        return watch(deployment, connector);
      default:
        return;
    }
  }

  async function converge(initial: Deployment, connector: PlatformConnector): Promise<void> {
    let deployment = initial;
    const verb = deployment.status === 'deploying' ? 'deploy' : 'update';
    if (elapsedInStatus(deployment) > deployment.config.timeouts.deployMs) {
      const kept = await cleanUp(deployment, connector);
      const error = new TimeoutError(verb, deployment.config.timeouts.deployMs);
      await options.deployments.write(
        deployment,
        { status: 'failed', lastError: lastErrorOf(error), statusMessage: error.message, ...(verb === 'deploy' ? { providerRef: kept, endpointUrl: null } : {}) },
        { reason: `${verb}-timed-out`, details: { timeoutMs: deployment.config.timeouts.deployMs } },
        actor,
      );
      return;
    }

    const context = contextFor(deployment);
    let ref = deployment.providerRef;
    if (!ref) {
      ref = await connector.apply(deployment.config, context);
      deployment = await recordRef(deployment, ref, 'resource requested from the platform');
    } else if (deployment.status === 'updating' && updatesSent.get(deployment.id) !== configKey(deployment)) {
      ref = await connector.update(ref, deployment.config, context);
      updatesSent.set(deployment.id, configKey(deployment));
      deployment = await recordRef(deployment, ref, 'update sent to the platform');
    }

    const observation = await connector.observe(ref, deployment.config, context);
    switch (observation.phase) {
      case 'ready':
        updatesSent.delete(deployment.id);
        await options.deployments.write(
          deployment,
          {
            status: 'active',
            endpointUrl: options.endpointUrlFor(deployment),
            providerRef: { ...ref, ...(observation.endpointUrl ? { endpointUrl: observation.endpointUrl } : {}) },
            providerStatus: observation.providerStatus ?? null,
            statusMessage: null,
            lastError: null,
          },
          { reason: verb === 'deploy' ? 'deployment-ready' : 'update-applied', details: providerDetails(observation) },
          actor,
        );
        return;
      case 'failed': {
        const kept = await cleanUp({ ...deployment, providerRef: ref }, connector);
        const message = observation.message ?? `the platform reported ${observation.providerStatus ?? 'a failure'}`;
        await options.deployments.write(
          deployment,
          {
            status: 'failed',
            lastError: { code: 'platform_api_error', message, at: new Date(clock.now()).toISOString() },
            providerStatus: observation.providerStatus ?? null,
            statusMessage: message,
            ...(verb === 'deploy' ? { providerRef: kept, endpointUrl: null } : {}),
          },
          { reason: `${verb}-failed`, details: providerDetails(observation) },
          actor,
        );
        return;
      }
      case 'gone':
      case 'stopped':
        // The resource is not there (a restarted local runtime, a provider-side delete): create it again.
        // apply adopts by name, so this never makes a second one.
        await recordRef(deployment, await connector.apply(deployment.config, context), 'resource missing on the platform; requested again');
        return;
      default:
        await noteProgress(deployment, observation);
    }
  }

  async function stop(deployment: Deployment, connector: PlatformConnector): Promise<void> {
    const ref = deployment.providerRef;
    // A resource the platform keeps while switched off (Replicate refuses deletes for a while) keeps its
    // reference, so deleting the deployment later can remove it.
    let keptRef: ProviderRef | null = null;
    if (ref) {
      const context = contextFor(deployment);
      await connector.destroy(ref, deployment.config, context);
      const observation = await observeAfterDestroy(connector, ref, deployment, context);
      // Only a resource still on its way down is waited for. Anything else after an accepted destroy
      // is done from our side: attach-only platforms (a self-hosted server, Together serverless) keep
      // answering because there was nothing of ours to remove.
      if (observation.phase === 'provisioning') {
        await noteProgress(deployment, observation);
        return;
      }
      if (observation.phase === 'stopped') keptRef = ref;
    }
    updatesSent.delete(deployment.id);
    await options.deployments.write(
      deployment,
      { status: 'stopped', providerRef: keptRef, endpointUrl: null, statusMessage: null, providerStatus: null },
      { reason: 'deployment-stopped' },
      actor,
    );
  }

  /**
   * After an accepted destroy, an observation that cannot be made for good (the server's URL is now
   * refused, its credential deleted) must not hold the deployment in `stopping` forever.
   */
  async function observeAfterDestroy(connector: PlatformConnector, ref: ProviderRef, deployment: Deployment, context: ReturnType<typeof contextFor>): Promise<Observation> {
    try {
      return await connector.observe(ref, deployment.config, context);
    } catch (error) {
      if (isModelportError(error) && !error.retryable) {
        logger.warn('cannot observe a destroyed resource; taking the destroy as done', { deploymentId: deployment.id, error });
        return { phase: 'gone', message: error.message };
      }
      throw error;
    }
  }

  /** Active deployments: notice a resource that vanished (and re-create it) or a provider-side problem. */
  async function watch(deployment: Deployment, connector: PlatformConnector): Promise<void> {
    if (!deployment.providerRef) return;
    const observation = await connector.observe(deployment.providerRef, deployment.config, contextFor(deployment));
    if (observation.phase === 'gone') {
      await options.deployments.write(
        deployment,
        { status: 'updating', providerRef: null, statusMessage: 'resource missing on the platform; re-creating' },
        { reason: 'resource-missing', details: providerDetails(observation) },
        actor,
      );
      return;
    }
    await noteProgress(deployment, observation);
  }

  async function noteProgress(deployment: Deployment, observation: Observation): Promise<void> {
    const providerStatus = observation.providerStatus ?? null;
    const statusMessage = observation.message ?? (observation.phase === 'degraded' ? 'degraded' : deployment.statusMessage);
    if (providerStatus === deployment.providerStatus && statusMessage === deployment.statusMessage) return;
    await options.deployments.write(deployment, { providerStatus, statusMessage }, null, actor);
  }

  async function recordRef(deployment: Deployment, ref: ProviderRef, message: string): Promise<Deployment> {
    return options.deployments.write(deployment, { providerRef: ref, statusMessage: message }, null, actor);
  }

  /**
   * A failed deploy should not leave billable resources behind. Returns the reference to keep: null once
   * the resource is gone, the old one when removing it failed, so that a stop or delete can try again.
   */
  async function cleanUp(deployment: Deployment, connector: PlatformConnector): Promise<ProviderRef | null> {
    if (!deployment.providerRef) return null;
    try {
      await connector.destroy(deployment.providerRef, deployment.config, contextFor(deployment));
      return null;
    } catch (error) {
      logger.warn('could not clean up after a failed deployment; stop or delete it to try again', { deploymentId: deployment.id, error });
      return deployment.providerRef;
    }
  }

  async function handleFailure(id: string, error: unknown): Promise<void> {
    // Shutting down aborts connector calls: that is not the deployment's failure. The work resumes on the
    // next start (or on another replica) from what the store holds.
    if (stopController.signal.aborted) return;
    const deployment = await store.deployments.get(id);
    if (!deployment) return;
    const failure = isModelportError(error) ? error : new ModelportError('internal_error', 'unexpected error while reconciling', { cause: error });
    if (failure.code === 'conflict') return; // someone else wrote first: the next tick re-reads
    if (failure.code === 'internal_error') logger.error('reconcile failed', { deploymentId: id, error });
    const lastError = lastErrorOf(failure);
    const canGiveUp = deployment.status === 'deploying' || deployment.status === 'updating';
    if (failure.retryable || !canGiveUp) {
      const attempt = (retries.get(id)?.attempt ?? 0) + 1;
      const retryAfter = typeof failure.details['retryAfterMs'] === 'number' ? failure.details['retryAfterMs'] : undefined;
      retries.set(id, { attempt, notBefore: clock.now() + backoffDelay(attempt - 1, reconcileBackoff, retryAfter) });
      await options.deployments.write(deployment, { lastError, statusMessage: `retrying: ${failure.message}` }, null, actor).catch(() => undefined);
      return;
    }
    retries.delete(id);
    const kept = await cleanUp(deployment, registry.get(deployment.platform));
    await options.deployments.write(
      deployment,
      { status: 'failed', lastError, statusMessage: failure.message, ...(deployment.status === 'deploying' ? { providerRef: kept, endpointUrl: null } : {}) },
      { reason: `${deployment.status === 'deploying' ? 'deploy' : 'update'}-failed`, details: { code: failure.code, message: lastError.message } },
      actor,
    );
  }

  function lastErrorOf(error: ModelportError): LastError {
    const message = error.code === 'internal_error' ? 'unexpected error while reconciling; see the server log' : error.message;
    return { code: error.code, message, at: new Date(clock.now()).toISOString() };
  }

  const ticker = periodic(options.intervalMs, tick, (error) => logger.error('reconciler tick failed', { error }));

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      ticker.start();
    },
    /** Works on one deployment now instead of at the next tick. */
    nudge(id: string): void {
      if (stopped) return;
      retries.delete(id);
      setImmediate(() => void reconcileOne(id));
    },
    /** One full pass, for tests and the CLI. */
    tick,
    reconcileOne,
    async stop(): Promise<void> {
      stopped = true;
      const ticking = ticker.stop();
      stopController.abort(new ModelportError('internal_error', 'shutting down'));
      await ticking;
      while (inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      for (const id of [...held]) await release(id);
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;

function configKey(deployment: Deployment): string {
  return JSON.stringify(deployment.config);
}

function providerDetails(observation: Observation): Record<string, unknown> {
  return {
    ...(observation.providerStatus ? { providerStatus: observation.providerStatus } : {}),
    ...(observation.message ? { message: observation.message } : {}),
  };
}
