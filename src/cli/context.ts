import { createApiClient, type ApiClient } from './client.js';
import type { CliIo, CliOutput } from './cli-io.js';
import { createStyle, shouldUseColor, type Style } from './output/style.js';

/** Options every command accepts (defined once on the program). */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
  token?: string;
}

export const defaultServerUrl = 'http://127.0.0.1:8080';

/** What a command runs with: the API client, output helpers and the choices made from flags and env. */
export interface CliContext {
  io: CliIo;
  client: ApiClient;
  json: boolean;
  style: Style;
  stdout: CliOutput;
  stderr: CliOutput;
  pollIntervalMs: number;
  now(): number;
  cwd: string;
  /** Human output on stdout; suppressed with --json so stdout holds one JSON document. */
  print(text: string): void;
  /** The --json document. */
  printJson(value: unknown): void;
  /** Human output that must not pollute stdout in --json mode (progress, notes): stderr then. */
  note(text: string): void;
}

/** Flags beat environment: --url over MODELPORT_URL, --token over MODELPORT_API_TOKEN. */
export function createContext(io: CliIo, options: GlobalOptions): CliContext {
  const json = options.json === true;
  const baseUrl = options.url ?? (io.env['MODELPORT_URL'] || defaultServerUrl);
  const token = options.token ?? (io.env['MODELPORT_API_TOKEN'] || undefined);
  const client = createApiClient({ baseUrl, token, ...(io.fetch ? { fetch: io.fetch } : {}) });
  return {
    io,
    client,
    json,
    style: createStyle(!json && shouldUseColor(io.stdout, io.env)),
    stdout: io.stdout,
    stderr: io.stderr,
    pollIntervalMs: io.pollIntervalMs ?? 1_000,
    now: io.now ?? Date.now,
    cwd: io.cwd ?? process.cwd(),
    print(text) {
      if (!json) io.stdout.write(text);
    },
    printJson(value) {
      io.stdout.write(JSON.stringify(value, null, 2) + '\n');
    },
    note(text) {
      (json ? io.stderr : io.stdout).write(text);
    },
  };
}
