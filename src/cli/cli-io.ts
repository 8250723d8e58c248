/** A stream the CLI writes to: process.stdout/stderr in the executable, a buffer in tests. */
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything the CLI takes from its surroundings, so it runs in-process in tests without spawning. */
export interface CliIo {
  /** Arguments after the executable, e.g. `['deployment', 'list', '--json']`. */
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: CliOutput;
  stderr: CliOutput;
  /** Working directory for relative file paths (`apply -f`). Default process.cwd(). */
  cwd?: string;
  fetch?: typeof fetch;
  /** How often waits poll the server. Default 1000 ms. */
  pollIntervalMs?: number;
  now?: () => number;
  /** Starts the server for `modelport serve`. Default: serve() from src/serve.ts, loaded on demand. */
  serve?: (env: Record<string, string | undefined>) => Promise<void>;
}
