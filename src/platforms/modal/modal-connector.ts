import { adaptersOf, type DeploymentSpec } from '../../core/deployment-spec.js';
import type { ProviderRef } from '../../core/deployment.js';
import { PlatformApiError, ValidationError, type ValidationIssue } from '../../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { ConnectorContext, Observation, PlatformConnector, PlatformInfo } from '../connector.js';
import { invokeChatCompletion } from '../openai-upstream/openai-upstream.js';
import { parseAppList, type ModalAppListEntry } from './modal-api.js';
import { defaultModalGpu, modalAppConfig, modalSpecIssues, type ModalAppConfig } from './modal-app-config.js';
import { createModalAppFiles, sha256, type DeployRecord } from './modal-app-files.js';
import { renderModalApp } from './modal-app-template.js';
import { cliFailureError, cliFailureText, runModalCli, type ModalCliResult } from './modal-cli.js';
import { parseDeployOutput } from './modal-deploy-output.js';
import { modalHardwareOptions, parseModalGpu } from './modal-hardware.js';
import { probeHealth } from './modal-health.js';
import { modalServeFunction } from './modal-names.js';
import { defaultCpuCores, defaultMemoryMib, ModalOptionsSchema } from './modal-options.js';
import { modalContainerHourlyPrice, modalPriceSource } from './modal-pricing.js';
import { modalCredentialNames, modalProxyHeaders, modalSettings, modalToken, type ModalSettings } from './modal-settings.js';
import { appStatePhase, currentApp, normaliseAppState } from './modal-status.js';

/**
 * Modal: a vLLM server with LoRA adapters, deployed as a generated Python app through the `modal` CLI
 * (Modal has no deploy API outside Python), health-checked at `<url>/health`, invoked through vLLM's
 * OpenAI-compatible routes, stopped with `modal app stop`. See README.md for the flow and the status table.
 */

const info: PlatformInfo = {
  displayName: 'Modal',
  description:
    'Serverless GPUs billed per second. modelport generates a vLLM app with your LoRA adapters and deploys it ' +
    'with the Modal CLI; containers scale from zero on demand.',
  features: [
    'Scale to zero: pay only while containers run (boot and idle window included)',
    'vLLM OpenAI-compatible server with several LoRA adapters on one base model',
    'Any GPU from T4 to B200, up to 8 per container (tensor parallel)',
    'The generated app file is kept in the data directory: readable, redeployable by hand',
  ],
  requiredCredentials: [...modalCredentialNames],
  hardware: modalHardwareOptions(defaultCpuCores, defaultMemoryMib),
  defaults: {
    baseModel: 'Qwen/Qwen2.5-7B-Instruct',
    adapter: null,
    hardware: defaultModalGpu,
    minReplicas: 0,
    maxReplicas: 1,
  },
  suggestedModels: [
    { id: 'Qwen/Qwen2.5-7B-Instruct', label: 'Qwen 2.5 7B Instruct', adapters: [] },
    { id: 'meta-llama/Llama-3.1-8B-Instruct', label: 'Llama 3.1 8B Instruct (gated: needs huggingFaceSecret)', adapters: [] },
    { id: 'mistralai/Mistral-7B-Instruct-v0.3', label: 'Mistral 7B Instruct v0.3', adapters: [] },
  ],
  pricing: { model: 'per-gpu-second', ...modalPriceSource },
  docsUrl: 'https://modal.com/docs/guide/webhook-urls',
};

/** What apply, update and observe keep in `ProviderRef.data`. */
interface ModalRefData {
  appFile: string;
  environment: string | null;
  fileSha256: string;
}

export function createModalConnector(): PlatformConnector {
  /**
   * App files whose `/health` answered 200 since this process deployed or observed them, keyed by app
   * name → `<app id>:<file hash>`. A scaled-to-zero app that already proved it boots is not probed
   * again: a probe would start (and bill) a container just to look at it.
   */
  const verified = new Map<string, string>();
  /** One CLI operation per app at a time: overlapping deploys of one app would race each other. */
  const appLocks = new Map<string, Promise<unknown>>();

  function withAppLock<T>(appName: string, work: () => Promise<T>): Promise<T> {
    const previous = appLocks.get(appName) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    const tail = next.catch(() => undefined);
    appLocks.set(appName, tail);
    void tail.then(() => {
      if (appLocks.get(appName) === tail) appLocks.delete(appName);
    });
    return next;
  }

  function cli(context: ConnectorContext, settings: ModalSettings) {
    const token = modalToken(context);
    const environmentArgs = settings.environment === null ? [] : ['-e', settings.environment];
    const run = (args: string[], timeoutMs: number): Promise<ModalCliResult> =>
      runModalCli([...args, ...environmentArgs], {
        executable: settings.cli,
        ...token,
        timeoutMs,
        signal: context.signal,
        logger: context.logger,
        cwd: settings.appDir,
      });
    return {
      run,
      async listApps(): Promise<ModalAppListEntry[]> {
        const result = await run(['app', 'list', '--json'], settings.cliTimeoutMs);
        if (result.exitCode !== 0) throw cliFailureError('listing apps', result);
        const parsed = parseAppList(result.stdout);
        if ('error' in parsed) {
          throw new PlatformApiError('modal', `${parsed.error}: ${cliFailureText(result)}`, undefined, { retryable: true });
        }
        return parsed.apps;
      },
    };
  }

  /** Deploys (or adopts) the app for a spec. Shared by apply and update: `modal deploy` of a name updates it in place. */
  async function deploy(spec: DeploymentSpec, context: ConnectorContext): Promise<ProviderRef> {
    const config = modalAppConfig(spec, context.deploymentId);
    const settings = modalSettings(context.settings);
    const modal = cli(context, settings);
    const files = createModalAppFiles(settings.appDir);
    const source = renderModalApp(config);
    const fileSha256 = sha256(source);
    return withAppLock(config.appName, async () => {
      // Before any deploy: is the app already there (a crash after the last deploy, a lost reference)?
      const existing = currentApp(await modal.listApps(), config.appName);
      const record = await files.readRecord(config.appName);
      const appFile = await files.writeAppFile(config.appName, source);
      const refFor = (endpointUrl: string, appId: string | null): ProviderRef => ({
        resourceName: config.appName,
        ...(appId === null ? {} : { resourceId: appId }),
        endpointUrl,
        data: { appFile, environment: settings.environment, fileSha256 } satisfies ModalRefData,
      });

      if (
        existing !== null &&
        normaliseAppState(existing.state) === 'deployed' &&
        record !== null &&
        record.appId === existing.appId &&
        record.environment === settings.environment &&
        record.fileSha256 === fileSha256
      ) {
        context.logger.info('modal app already deployed with this configuration; adopting it', { app: config.appName });
        return refFor(record.endpointUrl, existing.appId);
      }

      context.logger.info(existing === null ? 'deploying modal app' : 'redeploying modal app', {
        app: config.appName,
        existingState: existing?.state,
      });
      const result = await modal.run(
        ['deploy', appFile, '--name', config.appName],
        settings.deployTimeoutMs ?? spec.timeouts.deployMs,
      );
      if (result.exitCode !== 0) throw cliFailureError('deploy', result);
      context.logger.debug('modal deploy output', { app: config.appName, output: result.stdout.slice(-4_000) });

      const output = parseDeployOutput(result.stdout, modalServeFunction);
      const appId = output.appId ?? (existing !== null && normaliseAppState(existing.state) !== 'stopped' ? existing.appId : null);
      // Modal may print no endpoint when nothing changed. The URL depends only on workspace, environment
      // and app name (not on the app id), so the last deploy of this name in this environment knows it.
      const endpointUrl = output.endpointUrl ?? (record !== null && record.environment === settings.environment ? record.endpointUrl : null);
      if (endpointUrl === null) {
        throw new PlatformApiError(
          'modal',
          `deploy of ${config.appName} succeeded but printed no endpoint URL (expected "Created web function ${modalServeFunction} => https://…modal.run"); ` +
            `stop it with \`modal app stop ${config.appName} --yes\` and deploy again`,
          undefined,
          { retryable: false },
        );
      }
      const deployRecord: DeployRecord = {
        appName: config.appName,
        appId,
        environment: settings.environment,
        endpointUrl,
        fileSha256,
        deployedAt: new Date(context.clock.now()).toISOString(),
      };
      await files.writeRecord(deployRecord);
      return refFor(endpointUrl, appId);
    });
  }

  async function endpointOf(ref: ProviderRef, context: ConnectorContext): Promise<string | null> {
    if (typeof ref.endpointUrl === 'string' && ref.endpointUrl !== '') return ref.endpointUrl;
    const record = await createModalAppFiles(modalSettings(context.settings).appDir).readRecord(ref.resourceName);
    return record?.endpointUrl ?? null;
  }

  function proxyHeadersFor(spec: DeploymentSpec, context: ConnectorContext): Record<string, string> {
    const options = ModalOptionsSchema.safeParse(spec.platformOptions['modal'] ?? {});
    return options.success && options.data.proxyAuth ? modalProxyHeaders(context) : {};
  }

  /** Hash of the app file the spec renders to; null when the spec no longer renders (observe must not throw for it). */
  function fileHashOf(spec: DeploymentSpec, deploymentId: string): string | null {
    let config: ModalAppConfig;
    try {
      config = modalAppConfig(spec, deploymentId);
    } catch {
      return null;
    }
    return sha256(renderModalApp(config));
  }

  return {
    id: 'modal',
    info,
    capabilities: { adapterMode: 'per-endpoint', scaleToZero: true, streaming: true },

    validate(spec: DeploymentSpec): ValidationIssue[] {
      return modalSpecIssues(spec);
    },

    /**
     * Writes the app file and runs `modal deploy` (blocking until Modal built the image and deployed
     * the app: minutes the first time). Idempotent: the app name derives from the deployment id, the app
     * list is read first, an app already deployed with the same file is adopted, and a deploy of an
     * existing name updates that app rather than creating another. Throws ValidationError,
     * PlatformNotConfiguredError (credentials, a missing CLI), PlatformAuthError, PlatformApiError,
     * TimeoutError.
     */
    apply: (spec, context) => deploy(spec, context),

    /**
     * `modal app list` for the app's state, then, for a deployed app, one `/health` probe. An app that
     * proved healthy and is scaled to zero is reported ready without a probe (a probe would cold-start it).
     */
    async observe(ref, spec, context): Promise<Observation> {
      const settings = modalSettings(context.settings);
      const entry = currentApp(await cli(context, settings).listApps(), ref.resourceName);
      if (entry === null) {
        return { phase: 'gone', endpointUrl: null, message: `no Modal app named ${ref.resourceName}` };
      }
      const phase = appStatePhase(entry.state);
      const endpointUrl = await endpointOf(ref, context);
      const base = { providerStatus: entry.state, endpointUrl: phase === 'gone' ? null : endpointUrl };
      if (normaliseAppState(entry.state) !== 'deployed') {
        const message =
          phase === 'gone' ? `app stopped${entry.stoppedAt ? ` at ${entry.stoppedAt}` : ''}` : `Modal app state: ${entry.state}`;
        return { ...base, phase, message };
      }
      if (endpointUrl === null) {
        return { ...base, phase: 'degraded', message: 'deployed, but no endpoint URL is known; apply again to redeploy' };
      }
      const fileHash = fileHashOf(spec, context.deploymentId);
      const verifiedKey = `${entry.appId}:${fileHash ?? ''}`;
      const scaledToZero = entry.tasks === 0 && spec.scaling.minReplicas === 0;
      if (scaledToZero && fileHash !== null && verified.get(ref.resourceName) === verifiedKey) {
        return { ...base, phase: 'ready', message: 'scaled to zero; the next request starts a container' };
      }
      const health = await probeHealth(endpointUrl, {
        context,
        headers: proxyHeadersFor(spec, context),
        timeoutMs: settings.healthTimeoutMs,
      });
      if (health.healthy) {
        if (fileHash !== null) verified.set(ref.resourceName, verifiedKey);
        return { ...base, phase: 'ready', message: 'vLLM is healthy' };
      }
      // Never healthy yet: still starting. Healthy before: something broke.
      const wasHealthy = verified.get(ref.resourceName) === verifiedKey;
      return {
        ...base,
        phase: wasHealthy ? 'degraded' : 'provisioning',
        message: `health check: ${health.message}`,
      };
    },

    /** Redeploys the app with the new spec (a rolling update of the same app); adopts it when nothing changed. */
    update: (_ref, spec, context) => deploy(spec, context),

    /**
     * `modal app stop <app> --yes`. Idempotent: an app already stopped or never created is success. Stopping
     * is final on Modal; deploying again creates a new app under the same name.
     */
    async destroy(ref, _spec, context): Promise<void> {
      const settings = modalSettings(context.settings);
      const modal = cli(context, settings);
      await withAppLock(ref.resourceName, async () => {
        verified.delete(ref.resourceName);
        const result = await modal.run(['app', 'stop', ref.resourceName, '--yes'], settings.cliTimeoutMs);
        if (result.exitCode === 0) return;
        if (/already stopped|no app with name|not found/i.test(cliFailureText(result))) return;
        // Unfamiliar wording: the app list is the judge of whether anything is left to stop.
        const entry = currentApp(await modal.listApps(), ref.resourceName);
        if (entry === null || appStatePhase(entry.state) === 'gone') return;
        throw cliFailureError('stop', result);
      });
    },

    /**
     * Streams a chat completion from the app's vLLM server. The adapter must be one the app was deployed
     * with (Modal serves a fixed set). Errors as in invokeChatCompletion; a cold container may take
     * minutes to answer, which `timeouts.requestMs` bounds.
     */
    async *invoke(ref, spec, request: InvokeRequest, context): AsyncGenerator<InvokeEvent, void, undefined> {
      const adapters = adaptersOf(spec).map((adapter) => adapter.id);
      if (request.adapterId !== null && !adapters.includes(request.adapterId)) {
        throw new ValidationError(
          `adapter '${request.adapterId}' is not deployed on this Modal app (adapters are fixed at deploy; deployed: ${adapters.join(', ') || 'none'})`,
          [{ path: 'adapterId', message: 'not one of the deployed adapters' }],
        );
      }
      const endpointUrl = await endpointOf(ref, context);
      if (endpointUrl === null) {
        throw new PlatformApiError('modal', `no endpoint URL is known for ${ref.resourceName}; deploy it again`, undefined, {
          retryable: false,
        });
      }
      yield* invokeChatCompletion(
        { platform: 'modal', baseUrl: `${endpointUrl}/v1`, headers: proxyHeadersFor(spec, context) },
        request,
        { model: request.adapterId ?? spec.baseModel, context, timeoutMs: spec.timeouts.requestMs },
      );
    },

    // Billed per GPU-second while containers run (hourlyPrice): a request itself adds $0.
    tokenPrice: () => ({ inputPerMillion: 0, outputPerMillion: 0 }),

    hourlyPrice(spec: DeploymentSpec): number | null {
      const gpu = parseModalGpu(spec.hardware ?? defaultModalGpu);
      const options = ModalOptionsSchema.safeParse(spec.platformOptions['modal'] ?? {});
      if ('error' in gpu || !options.success) return null;
      return modalContainerHourlyPrice(gpu.gpu, gpu.count, options.data.cpu, options.data.memoryMib);
    },
  };
}

