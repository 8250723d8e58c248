import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  hangMarker,
  initialState,
  readState,
  updateState,
  writeState,
  type FakeModalApp,
  type FakeModalCall,
  type FakeModalScenario,
  type FakeModalState,
} from './modal-cli/modal-fake-state.mjs';
import { startOpenAIFake, type OpenAIFake } from './openai-fake.js';

/**
 * A fake Modal workspace for connector tests, in two halves that share one state file:
 * - `cliPath`: an executable standing in for the `modal` CLI (test/fakes/modal-cli/modal, a Node script),
 *   pointed at this instance's state folder. `modal deploy` records the app; `app list`, `app stop`
 *   read and change it. Each run is a separate process, as with the real CLI.
 * - an HTTP server on 127.0.0.1 standing in for `*.modal.run`: every live app is served under the URL
 *   its deploy printed, by vLLM's OpenAI-compatible server (the shared OpenAI fake behind a proxy),
 *   with Modal's own behaviour in front: 404 for stopped apps, proxy auth, cold starts.
 */

export interface ModalFrontScenario {
  /** After each deploy, this many requests to the app are held (a container booting) before passing. */
  coldStartRequests: number;
  /** How long a held request waits before it is answered 503; it counts as seen either way. */
  coldStartHoldMs: number;
  /** This many `/health` requests answer 303 to the same URL (Modal's long-request redirect). */
  redirectHealth: number;
}

export interface ModalFakeRequest {
  method: string;
  /** Path under the app's URL, e.g. `/v1/chat/completions`. */
  path: string;
  /** The app the URL names, if any. */
  appLabel: string;
  /** Lower-case names; credential values replaced by `[present]`. */
  headers: Record<string, string>;
  body: unknown;
}

export interface ModalFake {
  /** The fake `modal` executable to put in settings.modalCli. */
  cliPath: string;
  stateDir: string;
  /** `http://127.0.0.1:<port>`: where the fake endpoints live. */
  serverUrl: string;
  /** Credentials the fake workspace accepts. */
  credentials: { MODAL_TOKEN_ID: string; MODAL_TOKEN_SECRET: string };
  /** Proxy-auth tokens the fake endpoints accept when an app requires them. */
  proxyCredentials: { MODAL_PROXY_TOKEN_ID: string; MODAL_PROXY_TOKEN_SECRET: string };
  /** vLLM behind the endpoints: its scenario switches (failures, malformed, cut streams) apply to every app. */
  inference: OpenAIFake;
  state(): FakeModalState;
  apps(): FakeModalApp[];
  /** Apps that are not stopped. */
  liveApps(): FakeModalApp[];
  calls(): FakeModalCall[];
  setCliScenario(changes: Partial<FakeModalScenario>): void;
  setFrontScenario(changes: Partial<ModalFrontScenario>): void;
  /** Whether a deploy created its app and now hangs (the `deployHangsAfterCreate` scenario). */
  deployHanging(): boolean;
  /** Running containers `app list` reports for an app. */
  setTasks(appName: string, tasks: number): void;
  /** Requests that reached the fake endpoints. */
  requests: ModalFakeRequest[];
  close(): Promise<void>;
}

const cliScript = fileURLToPath(new URL('./modal-cli/modal', import.meta.url));
const sensitiveHeaders = new Set(['authorization', 'modal-key', 'modal-secret']);

export async function startModalFake(): Promise<ModalFake> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'modal-fake-'));
  const inference = await startOpenAIFake({ models: [] });
  let front: ModalFrontScenario = { coldStartRequests: 0, coldStartHoldMs: 60_000, redirectHealth: 0 };
  const requests: ModalFakeRequest[] = [];
  /** Per app id: the deploy count the cold start belongs to, and requests still to hold. */
  const coldStarts = new Map<string, { deployCount: number; remaining: number }>();
  const proxyCredentials = { MODAL_PROXY_TOKEN_ID: 'wk-fake-proxy-key', MODAL_PROXY_TOKEN_SECRET: 'ws-fake-proxy-secret' };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      if (!response.headersSent) sendText(response, 500, `modal-http: internal error: ${String(error)}`);
      else response.destroy();
    });
  });

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'http://fake');
    const [, label = '', ...rest] = url.pathname.split('/');
    const subPath = `/${rest.join('/')}`;
    const bodyText = await readBody(incoming);
    requests.push({
      method: incoming.method ?? 'GET',
      path: subPath,
      appLabel: label,
      headers: Object.fromEntries(
        Object.entries(incoming.headers).map(([name, value]) => [
          name,
          sensitiveHeaders.has(name) ? '[present]' : Array.isArray(value) ? value.join(', ') : (value ?? ''),
        ]),
      ),
      body: parseJson(bodyText),
    });

    const state = readState(stateDir);
    const app = state.apps.find((candidate) => candidate.url.endsWith(`/${label}`) && candidate.state !== 'stopped');
    if (app === undefined || app.state === 'stopping...') {
      return sendText(response, 404, 'modal-http: invalid function call');
    }
    if (app.constants['REQUIRES_PROXY_AUTH'] === true) {
      const key = headerValue(incoming, 'modal-key');
      const secret = headerValue(incoming, 'modal-secret');
      if (key === undefined || secret === undefined) {
        return sendText(response, 401, 'modal-http: missing credentials for proxy authorization');
      }
      if (key !== proxyCredentials.MODAL_PROXY_TOKEN_ID || secret !== proxyCredentials.MODAL_PROXY_TOKEN_SECRET) {
        return sendText(response, 401, 'modal-http: invalid credentials for proxy authorization');
      }
    }

    let cold = coldStarts.get(app.appId);
    if (cold === undefined || cold.deployCount !== app.deployCount) {
      cold = { deployCount: app.deployCount, remaining: front.coldStartRequests };
      coldStarts.set(app.appId, cold);
    }
    if (cold.remaining > 0) {
      cold.remaining -= 1;
      const gone = await holdUnlessClosed(response, front.coldStartHoldMs);
      if (!gone) sendText(response, 503, 'modal-http: container is starting');
      return;
    }

    if (subPath === '/health' && front.redirectHealth > 0 && !url.searchParams.has('__modal_function_call_id')) {
      front = { ...front, redirectHealth: front.redirectHealth - 1 };
      response.writeHead(303, { location: `${url.pathname}?__modal_function_call_id=fc-fake${Date.now()}` }).end();
      return;
    }

    inference.setModels(servedModels(app));
    await proxy(incoming, response, `${inference.url}${subPath}${url.search}`, bodyText);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeState(stateDir, initialState({ serverUrl }));

  // Per instance, so parallel fakes never share state: the wrapper names this state folder.
  const binDir = path.join(stateDir, 'bin');
  await mkdir(binDir);
  const cliPath = path.join(binDir, 'modal');
  await writeFile(
    cliPath,
    `#!/bin/sh\nMODAL_FAKE_STATE_DIR=${shellQuote(stateDir)} exec ${shellQuote(process.execPath)} ${shellQuote(cliScript)} "$@"\n`,
  );
  await chmod(cliPath, 0o755);

  const state = (): FakeModalState => readState(stateDir);
  return {
    cliPath,
    stateDir,
    serverUrl,
    credentials: { MODAL_TOKEN_ID: state().tokenId, MODAL_TOKEN_SECRET: state().tokenSecret },
    proxyCredentials,
    inference,
    state,
    apps: () => state().apps,
    liveApps: () => state().apps.filter((app) => app.state !== 'stopped'),
    calls: () => state().calls,
    setCliScenario(changes) {
      updateState(stateDir, (current) => {
        current.scenario = { ...current.scenario, ...changes };
      });
    },
    setFrontScenario(changes) {
      front = { ...front, ...changes };
    },
    deployHanging: () => existsSync(path.join(stateDir, hangMarker)),
    setTasks(appName, tasks) {
      updateState(stateDir, (current) => {
        for (const app of current.apps) if (app.name === appName && app.state !== 'stopped') app.tasks = tasks;
      });
    },
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inference.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** What vLLM serves for an app: the base model's served name and every `--lora-modules` name. */
function servedModels(app: FakeModalApp): string[] {
  const served = app.constants['SERVED_MODEL_NAME'];
  const loras = app.constants['LORA_MODULES'];
  const names = Array.isArray(loras) ? loras.map((module) => String(module).split('=')[0] ?? '') : [];
  return [...(typeof served === 'string' ? [served] : []), ...names];
}

function proxy(incoming: IncomingMessage, response: ServerResponse, target: string, body: string): Promise<void> {
  return new Promise((resolve) => {
    const headers = { ...incoming.headers, host: new URL(target).host };
    const outgoing = httpRequest(target, { method: incoming.method, headers }, (upstream) => {
      response.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(response);
      // A stream the fake cut mid-way must look cut to our client too, not like a clean end.
      upstream.on('aborted', () => response.destroy());
      upstream.on('error', () => response.destroy());
      upstream.on('end', () => resolve());
      upstream.on('close', () => resolve());
    });
    outgoing.on('error', () => {
      if (!response.headersSent) sendText(response, 502, 'modal-http: upstream error');
      else response.destroy();
      resolve();
    });
    response.on('close', () => {
      outgoing.destroy();
      resolve();
    });
    outgoing.end(body);
  });
}

function holdUnlessClosed(response: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    response.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function headerValue(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
