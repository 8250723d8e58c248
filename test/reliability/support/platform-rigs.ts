import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { modalAppName } from '../../../src/platforms/modal/modal-names.js';
import { predibaseDeploymentName } from '../../../src/platforms/predibase/predibase-names.js';
import { replicateDeploymentName } from '../../../src/platforms/replicate/replicate-ref.js';
import { endpointDisplayName } from '../../../src/platforms/together/together-names.js';
import { startModalFake, type ModalFake } from '../../fakes/modal-fake.js';
import { updateState } from '../../fakes/modal-cli/modal-fake-state.mjs';
import { startOpenAIFake, type OpenAIFake } from '../../fakes/openai-fake.js';
import { startPredibaseFake, type PredibaseFake } from '../../fakes/predibase-fake.js';
import { FAKE_MODEL, FAKE_VERSION, startReplicateFake, type ReplicateFake } from '../../fakes/replicate-fake.js';
import { startTogetherFake, type TogetherFake } from '../../fakes/together-fake.js';
import { startCrashProxy, type CrashProxy } from './crash-proxy.js';

/**
 * One provider fake per platform, wired for a modelport server running in a child process: the
 * environment that points the server at the fake, a spec the fake can serve, a change for PATCH, what
 * the fake holds (by provider-side name), and crash points inside the conversation with the fake.
 */

/** A resource the fake holds, under the provider-side name modelport derives from the deployment id. */
export interface ProviderResource {
  name: string;
  /** Still costing money / serving (not stopped or disabled). */
  live: boolean;
  /** Raw state, for failure messages. */
  state: string;
}

export interface CrashPointChoice {
  /** 1-based request (or CLI run) from now at which the server dies. */
  atRequest: number;
  when: 'before' | 'after';
}

export interface PlatformRig {
  platform: 'local' | 'openai-compatible' | 'predibase' | 'together' | 'replicate' | 'modal';
  /** Credentials and settings for the server process. */
  env: Record<string, string>;
  /** A create body the fake can serve. */
  spec(name: string): Record<string, unknown>;
  /** A PATCH body that makes an active deployment go through updating. */
  change(step: number): Record<string, unknown>;
  /** Whether the platform creates a resource per deployment (attach-only platforms create none). */
  createsResources: boolean;
  /** The provider-side name of a deployment's resource. */
  resourceName(deploymentId: string): string;
  /** Everything the fake holds. */
  resources(): ProviderResource[];
  /** Whether crashes can be placed inside the conversation with the provider (a fake to talk to). */
  hasProviderCrashPoints: boolean;
  /** Arms a crash inside the conversation with the fake; `crash` kills the server. */
  armCrash(choice: CrashPointChoice, crash: () => Promise<void>): void;
  disarm(): void;
  /** Resolves with what the crash interrupted once it fired. */
  crashFired(): Promise<string>;
  crashHasFired(): boolean;
  /** How many requests (or CLI runs) the server has made so far. */
  requestCount(): number;
  close(): Promise<void>;
}

/** Moves a fake's virtual clock with real time, so provider-side progress happens while the server polls. */
function pump(step: () => void, everyMs = 50): () => void {
  const timer = setInterval(step, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Crash points through an HTTP proxy in front of the fake. */
function proxyCrashes(proxy: CrashProxy): Pick<PlatformRig, 'hasProviderCrashPoints' | 'armCrash' | 'disarm' | 'crashFired' | 'crashHasFired' | 'requestCount'> {
  return {
    hasProviderCrashPoints: true,
    armCrash: (choice, crash) => proxy.arm({ atRequest: choice.atRequest, when: choice.when, crash }),
    disarm: () => proxy.disarm(),
    crashFired: async () => {
      const fired = await proxy.fired();
      return `${fired.when} ${fired.request}`;
    },
    crashHasFired: () => proxy.hasFired(),
    requestCount: () => proxy.seen.length,
  };
}

export interface RigOptions {
  /** Credential values to use instead of the fakes' defaults (where the fake lets us choose). */
  secret?: string;
}

export async function startOpenAICompatibleRig(options: RigOptions & { latencyMs?: number } = {}): Promise<PlatformRig & { fake: OpenAIFake }> {
  const fake = await startOpenAIFake({ models: ['crash-base', 'crash-adapter'], ...(options.secret ? { apiKey: options.secret } : {}), scenario: { latencyMs: options.latencyMs ?? 0 } });
  const proxy = await startCrashProxy(fake.url);
  return {
    platform: 'openai-compatible',
    fake,
    env: options.secret ? { OPENAI_COMPATIBLE_API_KEY: options.secret } : {},
    spec: (name) => ({ name, platform: 'openai-compatible', baseModel: 'crash-base', adapter: { id: 'crash-adapter' }, platformOptions: { baseUrl: `${proxy.url}/v1` } }),
    change: (step) => ({ timeouts: { requestMs: 5_000 + step } }),
    createsResources: false,
    resourceName: (id) => id,
    resources: () => [],
    ...proxyCrashes(proxy),
    async close() {
      await proxy.close();
      await fake.close();
    },
  };
}

export async function startPredibaseRig(options: RigOptions = {}): Promise<PlatformRig & { fake: PredibaseFake }> {
  const fake = await startPredibaseFake({ readyAfterObserves: 3, ...(options.secret ? { token: options.secret } : {}) });
  const proxy = await startCrashProxy(fake.url);
  return {
    platform: 'predibase',
    fake,
    env: { PREDIBASE_API_TOKEN: fake.token, MODELPORT_PREDIBASE_BASE_URL: proxy.url, MODELPORT_PREDIBASE_SERVING_URL: proxy.url },
    spec: (name) => ({
      name,
      platform: 'predibase',
      baseModel: 'qwen3-8b',
      adapter: { id: 'support-bot/1' },
      hardware: 'a10_24gb_100',
      scaling: { minReplicas: 0, maxReplicas: 1, scaleDownDelaySeconds: 900 },
      timeouts: { requestMs: 5_000 },
    }),
    change: (step) => ({ scaling: { minReplicas: 0, maxReplicas: 2 + (step % 3), scaleDownDelaySeconds: 900 } }),
    createsResources: true,
    resourceName: predibaseDeploymentName,
    resources: () => fake.deployments().map((deployment) => ({ name: deployment.name, live: deployment.status !== 'stopped', state: deployment.status })),
    ...proxyCrashes(proxy),
    async close() {
      await proxy.close();
      await fake.close();
    },
  };
}

export async function startTogetherRig(options: RigOptions = {}): Promise<PlatformRig & { fake: TogetherFake }> {
  const fake = await startTogetherFake({ pendingMs: 1_000, startingMs: 2_000, stoppingMs: 1_000, ...(options.secret ? { apiKey: options.secret } : {}) });
  const proxy = await startCrashProxy(new URL(fake.baseUrl).origin);
  const stopPump = pump(() => fake.advance(250));
  return {
    platform: 'together',
    fake,
    env: { TOGETHER_API_KEY: fake.apiKey, MODELPORT_TOGETHER_BASE_URL: `${proxy.url}/v1` },
    spec: (name) => ({
      name,
      platform: 'together',
      baseModel: 'Qwen/Qwen3.5-9B-FP8',
      hardware: '1x_nvidia_h100_80gb_sxm',
      scaling: { minReplicas: 1, maxReplicas: 2 },
    }),
    change: (step) => ({ scaling: { minReplicas: 1, maxReplicas: 3 + (step % 3) } }),
    createsResources: true,
    resourceName: endpointDisplayName,
    resources: () => fake.endpoints().map((endpoint) => ({ name: endpoint.display_name, live: endpoint.state !== 'STOPPED', state: endpoint.state })),
    ...proxyCrashes(proxy),
    async close() {
      stopPump();
      await proxy.close();
      await fake.close();
    },
  };
}

export async function startReplicateRig(options: RigOptions = {}): Promise<PlatformRig & { fake: ReplicateFake }> {
  const fake = await startReplicateFake({ scenario: { coldBootMs: 2_000 }, ...(options.secret ? { token: options.secret } : {}) });
  const proxy = await startCrashProxy(new URL(fake.baseUrl).origin);
  const stopPump = pump(() => fake.advance(250));
  return {
    platform: 'replicate',
    fake,
    env: { REPLICATE_API_TOKEN: fake.token, MODELPORT_REPLICATE_BASE_URL: `${proxy.url}/v1` },
    spec: (name) => ({
      name,
      platform: 'replicate',
      baseModel: `${FAKE_MODEL}:${FAKE_VERSION}`,
      hardware: 'gpu-l40s',
      scaling: { minReplicas: 0, maxReplicas: 2 },
    }),
    change: (step) => ({ scaling: { minReplicas: 0, maxReplicas: 3 + (step % 3) } }),
    createsResources: true,
    resourceName: replicateDeploymentName,
    resources: () =>
      fake.deployments().map((deployment) => {
        const release = deployment['current_release'] as { configuration: { min_instances: number; max_instances: number } };
        const { min_instances: min, max_instances: max } = release.configuration;
        return { name: String(deployment['name']), live: max > 0, state: `min ${min} max ${max}` };
      }),
    ...proxyCrashes(proxy),
    async close() {
      stopPump();
      await proxy.close();
      await fake.close();
    },
  };
}

const modalCrashCli = fileURLToPath(new URL('./modal-crash-cli.mjs', import.meta.url));

export async function startModalRig(options: RigOptions = {}): Promise<PlatformRig & { fake: ModalFake }> {
  const fake = await startModalFake();
  const credentials = options.secret
    ? { MODAL_TOKEN_ID: `${options.secret}-id`, MODAL_TOKEN_SECRET: `${options.secret}-secret` }
    : fake.credentials;
  if (options.secret) {
    updateState(fake.stateDir, (state) => {
      state.tokenId = credentials.MODAL_TOKEN_ID;
      state.tokenSecret = credentials.MODAL_TOKEN_SECRET;
    });
  }
  // The server runs this wrapper as its `modal`; it counts runs and blocks at an armed crash point.
  const crashDir = mkdtempSync(path.join(os.tmpdir(), 'modal-crash-'));
  const wrapper = path.join(crashDir, 'modal');
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  writeFileSync(
    wrapper,
    `#!/bin/sh\nMODAL_CRASH_DIR=${quote(crashDir)} MODAL_REAL_CLI=${quote(fake.cliPath)} exec ${quote(process.execPath)} ${quote(modalCrashCli)} "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  const callsDir = path.join(crashDir, 'calls');
  const firedFile = path.join(crashDir, 'fired.json');
  const armFile = path.join(crashDir, 'arm.json');
  const calls = () => (existsSync(callsDir) ? readdirSync(callsDir).length : 0);
  let watcher: NodeJS.Timeout | null = null;
  let firedWith: string | null = null;
  let notify: (what: string) => void = () => undefined;
  let fired = new Promise<string>((resolve) => (notify = resolve));
  const disarm = () => {
    if (watcher) clearInterval(watcher);
    watcher = null;
    rmSync(armFile, { force: true });
    rmSync(firedFile, { force: true });
  };
  return {
    platform: 'modal',
    fake,
    env: {
      ...credentials,
      MODELPORT_MODAL_MODAL_CLI: wrapper,
      MODELPORT_MODAL_HEALTH_TIMEOUT_MS: '2000',
      MODELPORT_MODAL_CLI_TIMEOUT_MS: '20000',
    },
    spec: (name) => ({
      name,
      platform: 'modal',
      baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
      adapter: { id: 'acme/support-lora' },
      hardware: 'L4',
      timeouts: { requestMs: 5_000, deployMs: 60_000 },
    }),
    change: (step) => ({ scaling: { minReplicas: 0, maxReplicas: 2 + (step % 3) } }),
    createsResources: true,
    resourceName: modalAppName,
    resources: () => fake.apps().map((app) => ({ name: app.name, live: app.state !== 'stopped', state: app.state })),
    hasProviderCrashPoints: true,
    armCrash(choice, crash) {
      disarm();
      firedWith = null;
      fired = new Promise<string>((resolve) => (notify = resolve));
      writeFileSync(armFile, JSON.stringify({ base: calls(), atCall: choice.atRequest, when: choice.when }));
      watcher = setInterval(() => {
        if (!existsSync(firedFile)) return;
        let what: string;
        try {
          const record = JSON.parse(readFileSync(firedFile, 'utf8')) as { argv: string[]; when: string };
          what = `${record.when} modal ${record.argv.slice(0, 2).map((arg) => path.basename(arg)).join(' ')}`;
        } catch {
          return; // created but not written yet: next tick
        }
        if (watcher) clearInterval(watcher);
        watcher = null;
        unlinkSync(armFile);
        void crash().then(() => {
          rmSync(firedFile, { force: true });
          firedWith = what;
          notify(what);
        });
      }, 5);
    },
    disarm,
    crashFired: () => fired,
    crashHasFired: () => firedWith !== null,
    requestCount: calls,
    async close() {
      disarm();
      await fake.close();
      rmSync(crashDir, { recursive: true, force: true });
    },
  };
}

/**
 * The local platform has no provider to fake: llama.cpp runs inside the server, so its "resource" is
 * the loaded model, which a crash takes down with the process. Only timed crashes apply; whether an
 * active deployment really has its model is checked by testing the endpoint.
 */
export async function startLocalRig(): Promise<PlatformRig> {
  const never = new Promise<string>(() => undefined);
  return {
    platform: 'local',
    env: {},
    spec: (name) => ({ name, platform: 'local', baseModel: 'demo/tiny-llama', adapter: { id: 'demo/cat' } }),
    change: (step) => ({ adapter: { id: step % 2 === 0 ? 'demo/dog' : 'demo/cat' } }),
    createsResources: false,
    resourceName: (id) => `local-${id}`,
    resources: () => [],
    hasProviderCrashPoints: false,
    armCrash: () => {
      throw new Error('the local platform has no provider conversation to crash in');
    },
    disarm: () => undefined,
    crashFired: () => never,
    crashHasFired: () => false,
    requestCount: () => 0,
    close: async () => undefined,
  };
}

export const rigFactories = {
  local: () => startLocalRig(),
  'openai-compatible': () => startOpenAICompatibleRig({ latencyMs: 150 }),
  predibase: () => startPredibaseRig(),
  together: () => startTogetherRig(),
  replicate: () => startReplicateRig(),
  modal: () => startModalRig(),
} as const;
