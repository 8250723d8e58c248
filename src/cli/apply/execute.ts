import { CliError, isCliError } from '../cli-error.js';
import type { ApiClient, DeploymentView } from '../client.js';
import type { DeploymentPlanEntry, Plan, RoutePlanEntry } from './plan.js';
import type { ProgressDisplay } from './progress.js';
import { locateIssues, type SourceFile } from './source-file.js';
import { removeDeployment, settledStatuses, waitForDeployment, waitUntilStable, type WaitOptions } from './wait.js';

/** How one plan entry ended. */
export interface ApplyOutcome {
  kind: 'deployment' | 'route';
  name: string;
  action: DeploymentPlanEntry['action'] | RoutePlanEntry['action'];
  /** The deployment as last seen (null once deleted, or for routes). */
  deployment: DeploymentView | null;
  /** Active (or deleted, or a route written); false when failed or an error stopped it. */
  ok: boolean;
  error: CliError | null;
}

export interface ExecuteDeps {
  client: ApiClient;
  progress: ProgressDisplay;
  wait: Omit<WaitOptions, 'onPoll'>;
  /** The file, to point server-side validation issues at their line. */
  source?: SourceFile;
}

/**
 * Carries out a plan, then waits until every deployment in the file is active or failed.
 *
 * Order: routes to delete first (they may point at deployments about to go), then every deployment
 * concurrently (create → deploy; PATCH, redeploying what is not running; stop → delete), then routes to
 * create or update once the deployments they may name exist. A failure of one entry does not stop the
 * others; each outcome says what happened.
 */
export async function executePlan(plan: Plan, deps: ExecuteDeps): Promise<ApplyOutcome[]> {
  const routeDeletes = plan.routes.filter((entry) => entry.action === 'delete');
  const routeWrites = plan.routes.filter((entry) => entry.action !== 'delete');
  const outcomes: ApplyOutcome[] = [];

  for (const entry of routeDeletes) outcomes.push(await applyRoute(entry, deps));

  const exists = plan.deployments.map(() => deferred());
  const deploymentTasks = plan.deployments.map((entry, index) =>
    applyDeployment(entry, deps, () => exists[index]?.resolve()).finally(() => exists[index]?.resolve()),
  );
  await Promise.all(exists.map((signal) => signal.promise));
  for (const entry of routeWrites) outcomes.push(await applyRoute(entry, deps));

  const deploymentOutcomes = await Promise.all(deploymentTasks);
  return [...deploymentOutcomes, ...outcomes];
}

async function applyDeployment(entry: DeploymentPlanEntry, deps: ExecuteDeps, onExists: () => void): Promise<ApplyOutcome> {
  const { client, progress } = deps;
  const show = (state: string, message?: string | null) => progress.update(entry.name, { state, message: message ?? null });
  // Settled statuses are reported once, as the outcome; polls show only what is in transit.
  const wait: WaitOptions = { ...deps.wait, onPoll: (deployment) => (settledStatuses.includes(deployment.status) ? undefined : show(deployment.status, deployment.statusMessage)) };
  const outcome = (deployment: DeploymentView | null, ok: boolean, error: CliError | null = null): ApplyOutcome => ({
    kind: 'deployment',
    name: entry.name,
    action: entry.action,
    deployment,
    ok,
    error,
  });

  try {
    switch (entry.action) {
      case 'create':
      case 'replace': {
        if (entry.action === 'replace') {
          await removeDeployment(client, entry.current.id, { ...wait, onStep: (step) => show(step) });
        }
        show('creating');
        const created = await client.createDeployment(entry.spec);
        onExists();
        show('deploying');
        await client.deployDeployment(created.id);
        return finished(await waitUntilStable(client, created.id, wait));
      }
      case 'update': {
        onExists();
        // PATCH is refused while deploying/updating/stopping: let that finish first.
        const settled = await waitForDeployment(client, entry.current.id, (deployment) => settledStatuses.includes(deployment.status), wait);
        show('updating');
        const updated = await client.updateDeployment(settled.id, entry.changes);
        // The server moves an active deployment through updating itself; anything else must be deployed.
        if (updated.status !== 'active' && updated.status !== 'updating') await client.deployDeployment(updated.id);
        return finished(await waitUntilStable(client, updated.id, wait));
      }
      case 'unchanged': {
        onExists();
        if (entry.deploy) {
          const settled = await waitForDeployment(client, entry.current.id, (deployment) => deployment.status !== 'stopping', wait);
          if (settled.status === 'pending' || settled.status === 'stopped') {
            show('deploying');
            await client.deployDeployment(settled.id);
          }
        }
        return finished(await waitUntilStable(client, entry.current.id, wait));
      }
      case 'delete': {
        onExists();
        await removeDeployment(client, entry.current.id, { ...wait, onStep: (step) => show(step) });
        progress.update(entry.name, { state: 'deleted', ok: true });
        return outcome(null, true);
      }
    }
  } catch (caught) {
    const error = withFilePositions(toCliError(caught), entry, deps.source);
    progress.update(entry.name, { state: 'error', message: `${error.message} (${error.code})`, ok: false });
    return outcome(null, false, error);
  }

  function finished(deployment: DeploymentView): ApplyOutcome {
    const ok = deployment.status === 'active';
    const message = ok ? null : (deployment.lastError?.message ?? deployment.statusMessage ?? (deployment.status === 'failed' ? null : `${deployment.status} while apply waited`));
    progress.update(entry.name, { state: deployment.status, message, ok });
    return outcome(deployment, ok);
  }
}

async function applyRoute(entry: RoutePlanEntry, deps: ExecuteDeps): Promise<ApplyOutcome> {
  const label = `route ${entry.name}`;
  const result = (ok: boolean, error: CliError | null = null): ApplyOutcome => ({ kind: 'route', name: entry.name, action: entry.action, deployment: null, ok, error });
  try {
    switch (entry.action) {
      case 'create':
        await deps.client.createRoute(entry.route);
        deps.progress.update(label, { state: 'created', ok: true });
        break;
      case 'update':
        await deps.client.updateRoute(entry.name, entry.changes);
        deps.progress.update(label, { state: 'updated', ok: true });
        break;
      case 'delete':
        await deps.client.deleteRoute(entry.name);
        deps.progress.update(label, { state: 'deleted', ok: true });
        break;
      case 'unchanged':
        break;
    }
    return result(true);
  } catch (caught) {
    let error = toCliError(caught);
    if (deps.source && entry.action !== 'delete' && error.issues.length > 0) {
      error = new CliError(error.code, error.message, { issues: locateIssues(deps.source, ['routes', entry.index], error.issues), ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }) });
    }
    deps.progress.update(label, { state: 'error', message: `${error.message} (${error.code})`, ok: false });
    return result(false, error);
  }
}

function withFilePositions(error: CliError, entry: DeploymentPlanEntry, source: SourceFile | undefined): CliError {
  if (!source || entry.action === 'delete' || error.issues.length === 0) return error;
  return new CliError(error.code, `${entry.name}: ${error.message}`, {
    issues: locateIssues(source, ['deployments', entry.index], error.issues),
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
  });
}

function toCliError(error: unknown): CliError {
  if (isCliError(error)) return error;
  return new CliError('internal_error', error instanceof Error ? error.message : String(error), { cause: error });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
