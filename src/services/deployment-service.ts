import { randomUUID } from 'node:crypto';
import type { Deployment, DeploymentEvent } from '../core/deployment.js';
import {
  applyChanges,
  DeploymentChangesSchema,
  DeploymentSpecSchema,
  type DeploymentSpec,
} from '../core/deployment-spec.js';
import { assertDeletable, nextStatus, type DeploymentAction, type DeploymentStatus } from '../core/deployment-status.js';
import {
  ConflictError,
  InvalidTransitionError,
  NotFoundError,
  PlatformNotConfiguredError,
  ValidationError,
  type ValidationIssue,
} from '../core/errors/index.js';
import type { Clock } from '../platforms/connector.js';
import type { PlatformRegistry } from '../platforms/registry.js';
import type { DeploymentFilter, DeploymentPatch, Store } from '../store/store.js';
import type { ConnectorContexts } from './connector-contexts.js';
import { isUserNamedCredential } from './credentials.js';
import type { DeploymentFeed } from './deployment-feed.js';
import { parseInput } from './parse-input.js';

export interface Actor {
  /** Who is acting, for the audit trail: `user`, `reconciler`, a token name. */
  name: string;
}

export interface DeploymentServiceDeps {
  store: Store;
  registry: PlatformRegistry;
  contexts: ConnectorContexts;
  clock: Clock;
  feed: DeploymentFeed;
  /** Called after a change the reconciler should act on soon. */
  nudge: (deploymentId: string) => void;
}

/** The deployment use cases. Routes, the CLI and tests call these; none of them touch the store directly. */
export function createDeploymentService(deps: DeploymentServiceDeps) {
  const { store, registry, clock, feed } = deps;
  const nowIso = () => new Date(clock.now()).toISOString();
  const platformCredentials = new Set(registry.list().flatMap((connector) => connector.info.requiredCredentials));

  async function load(id: string): Promise<Deployment> {
    const deployment = await store.deployments.get(id);
    if (!deployment) throw new NotFoundError('deployment', id);
    return deployment;
  }

  /** The platform's own checks: pure ones, then those that read files or the like. Throws ValidationError. */
  async function checkForPlatform(spec: DeploymentSpec, deploymentId: string): Promise<void> {
    validateForPlatform(spec);
    const connector = registry.get(spec.platform);
    if (!connector.preflight) return;
    const context = deps.contexts.create(deploymentId, spec, AbortSignal.timeout(30_000));
    await connector.preflight(spec, context);
  }

  function validateForPlatform(spec: DeploymentSpec): void {
    const named = spec.platformOptions['apiKeyEnv'];
    if (typeof named === 'string' && !isUserNamedCredential(named, platformCredentials)) {
      throw new ValidationError(`apiKeyEnv '${named}' cannot be used: name a credential of your own ending in _API_KEY, _KEY or _TOKEN (not modelport's or another platform's)`, [
        { path: 'platformOptions.apiKeyEnv', message: 'not a usable credential name' },
      ]);
    }
    if (!registry.has(spec.platform)) {
      throw new ValidationError(`platform '${spec.platform}' is not available in this server`, [
        { path: 'platform', message: 'not available' },
      ]);
    }
    const issues = registry.get(spec.platform).validate(spec);
    if (issues.length > 0) {
      throw new ValidationError(`the ${spec.platform} platform cannot run this deployment: ${issues.map((issue) => `${issue.path ? issue.path + ': ' : ''}${issue.message}`).join('; ')}`, issues);
    }
  }

  async function write(
    deployment: Deployment,
    patch: DeploymentPatch,
    event: { reason: string; details?: Record<string, unknown> } | null,
    actor: Actor,
  ): Promise<Deployment> {
    const to = patch.status ?? deployment.status;
    const written = await store.deployments.write(
      deployment.id,
      deployment.version,
      patch,
      event ? { from: deployment.status, to, reason: event.reason, details: event.details ?? {}, actor: actor.name } : null,
      nowIso(),
    );
    feed.publish({ type: 'deployment-changed', deployment: written });
    return written;
  }

  /** Runs a state-machine action as a compare-and-set; a concurrent writer means re-read and re-check once. */
  async function transition(
    id: string,
    action: DeploymentAction,
    reason: string,
    actor: Actor,
    extra: (deployment: Deployment) => DeploymentPatch = () => ({}),
  ): Promise<Deployment> {
    for (let attempt = 0; ; attempt++) {
      const deployment = await load(id);
      const status = nextStatus(action, deployment.status);
      try {
        return await write(deployment, { ...extra(deployment), status }, { reason }, actor);
      } catch (error) {
        if (error instanceof ConflictError && attempt < 2) continue;
        throw error;
      }
    }
  }

  return {
    async create(input: unknown, actor: Actor, idempotencyKey: string | null = null): Promise<{ deployment: Deployment; created: boolean }> {
      const spec = parseInput(DeploymentSpecSchema, input, 'deployment');
      const id = randomUUID();
      await checkForPlatform(spec, id);
      if (idempotencyKey) {
        const existing = await store.deployments.getByIdempotencyKey(idempotencyKey);
        if (existing) return { deployment: sameRequest(existing, spec, idempotencyKey), created: false };
      }
      try {
        const deployment = await store.deployments.create(
          { id, name: spec.name, platform: spec.platform, config: spec, idempotencyKey, now: nowIso() },
          actor.name,
        );
        feed.publish({ type: 'deployment-changed', deployment });
        return { deployment, created: true };
      } catch (error) {
        // Two requests with one key racing: the loser answers with the winner's deployment.
        if (idempotencyKey && error instanceof ConflictError) {
          const existing = await store.deployments.getByIdempotencyKey(idempotencyKey);
          if (existing) return { deployment: sameRequest(existing, spec, idempotencyKey), created: false };
        }
        throw error;
      }
    },

    /**
     * Dry run of create: every check create makes (schema, platform rules, files, name taken), nothing
     * stored. For the wizard's live validation.
     */
    async check(input: unknown): Promise<{ valid: boolean; issues: ValidationIssue[] }> {
      try {
        const spec = parseInput(DeploymentSpecSchema, input, 'deployment');
        await checkForPlatform(spec, randomUUID());
        if (await store.deployments.getByName(spec.name)) {
          return { valid: false, issues: [{ path: 'name', message: `a deployment named '${spec.name}' already exists` }] };
        }
        return { valid: true, issues: [] };
      } catch (error) {
        if (error instanceof ValidationError) {
          return { valid: false, issues: error.issues.length > 0 ? error.issues : [{ path: '', message: error.message }] };
        }
        throw error;
      }
    },

    get: load,

    async getByNameOrId(reference: string): Promise<Deployment> {
      const deployment = (await store.deployments.get(reference)) ?? (await store.deployments.getByName(reference));
      if (!deployment) throw new NotFoundError('deployment', reference);
      return deployment;
    },

    list: (filter: DeploymentFilter = {}) => store.deployments.list(filter),
    /** Every deployment's id and version, and whole rows by id: what the gateway's cache reloads from. */
    listVersions: () => store.deployments.listVersions(),
    getMany: (ids: readonly string[]) => store.deployments.getMany(ids),

    events: async (id: string, limit = 100): Promise<DeploymentEvent[]> => {
      await load(id);
      return store.events.list(id, limit);
    },

    async deploy(id: string, actor: Actor): Promise<Deployment> {
      const deployment = await load(id);
      nextStatus('deploy', deployment.status);
      const missing = deps.contexts.missingCredentials(deployment.platform);
      if (missing.length > 0) throw new PlatformNotConfiguredError(deployment.platform, missing);
      await checkForPlatform(deployment.config, deployment.id);
      const deploying = await transition(id, 'deploy', deployment.status === 'pending' ? 'deploy-requested' : 'redeploy-requested', actor, () => ({
        lastError: null,
        statusMessage: 'waiting for the platform',
      }));
      deps.nudge(id);
      return deploying;
    },

    async stop(id: string, actor: Actor): Promise<Deployment> {
      const stopping = await transition(id, 'stop', 'stop-requested', actor, () => ({ statusMessage: 'stopping' }));
      deps.nudge(id);
      return stopping;
    },

    async update(id: string, input: unknown, actor: Actor): Promise<Deployment> {
      const changes = parseInput(DeploymentChangesSchema, input, 'changes');
      for (let attempt = 0; ; attempt++) {
        const deployment = await load(id);
        const config = applyChanges(deployment.config, changes);
        await checkForPlatform(config, deployment.id);
        const changed = Object.keys(changes);
        try {
          if (deployment.status === 'active') {
            const updating = await write(
              deployment,
              { status: nextStatus('update', deployment.status), config },
              { reason: 'update-requested', details: { changed } },
              actor,
            );
            deps.nudge(id);
            return updating;
          }
          if (isSettled(deployment.status)) {
            return await write(deployment, { config }, { reason: 'configuration-changed', details: { changed } }, actor);
          }
          throw new InvalidTransitionError('update', deployment.status, ['pending', 'active', 'stopped', 'failed']);
        } catch (error) {
          if (error instanceof ConflictError && attempt < 2) continue;
          throw error;
        }
      }
    },

    async delete(id: string, _actor: Actor): Promise<void> {
      const deployment = await load(id);
      assertDeletable(deployment.status);
      if (deployment.providerRef) {
        // Switched off but still held by the platform: remove it now. While the platform still holds
        // it, the row stays, so nothing is left behind that modelport no longer knows about.
        const connector = registry.get(deployment.platform);
        const context = deps.contexts.create(id, deployment.config, AbortSignal.timeout(60_000));
        await connector.destroy(deployment.providerRef, deployment.config, context);
        const observation = await connector.observe(deployment.providerRef, deployment.config, context);
        if (observation.phase !== 'gone') {
          throw new ConflictError(
            `the platform still holds this deployment's resource (${observation.message ?? observation.providerStatus ?? observation.phase}); it is switched off and not billed — try deleting again later`,
            { details: { providerStatus: observation.providerStatus ?? null } },
          );
        }
      }
      await store.deployments.delete(id, deployment.version);
      feed.publish({ type: 'deployment-deleted', id });
    },

    /** For the reconciler: the same compare-and-set writes, with events. */
    write,
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;

function isSettled(status: DeploymentStatus): boolean {
  return status === 'pending' || status === 'stopped' || status === 'failed';
}

/** An Idempotency-Key reused with a different body is a client bug, not a replay. */
function sameRequest(existing: Deployment, spec: DeploymentSpec, key: string): Deployment {
  if (existing.name !== spec.name || existing.platform !== spec.platform || existing.config.baseModel !== spec.baseModel) {
    throw new ConflictError(`Idempotency-Key '${key}' was already used for a different deployment (${existing.name})`, {
      details: { field: 'Idempotency-Key' },
    });
  }
  return existing;
}

