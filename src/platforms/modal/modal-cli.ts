import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { ModelportError, PlatformApiError, PlatformAuthError, TimeoutError } from '../../core/errors/index.js';
import type { Logger } from '../connector.js';
import { redact } from '../http/redact.js';
import { truncate } from '../http/provider-message.js';
import { stripAnsi } from './modal-deploy-output.js';

/**
 * Runs the `modal` CLI. Modal has no deploy API outside Python, so deploy, stop and list go through
 * its command line: spawned directly (never through a shell), with the workspace token in the child's
 * environment only, a timeout, and the caller's abort signal.
 */

export interface ModalCliOptions {
  /** The executable: `modal` on PATH, or a path. */
  executable: string;
  tokenId: string;
  tokenSecret: string;
  timeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
  /** Working directory of the CLI (created if missing). */
  cwd?: string;
  /** Grace period between SIGTERM and SIGKILL when the CLI must be stopped. */
  killGraceMs?: number;
}

export interface ModalCliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Output beyond this is dropped from the start: the end holds the result and the error. */
const maxCapturedBytes = 1024 * 1024;

/**
 * Starts `modal <args>` and waits for it to exit. Resolves with the exit code and output whatever the
 * code is (callers decide what a failure means). Throws:
 * - the `platform_not_configured` error when the executable is missing or not executable;
 * - TimeoutError (retryable) when it ran longer than `timeoutMs` (it is killed);
 * - the signal's reason when `signal` aborted (it is killed).
 */
export async function runModalCli(args: readonly string[], options: ModalCliOptions): Promise<ModalCliResult> {
  const secrets = [options.tokenId, options.tokenSecret];
  if (options.signal.aborted) throw abortReason(options.signal);
  if (options.cwd !== undefined) await mkdir(options.cwd, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(options.executable, args, {
      env: childEnvironment(options),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const stdout = new CappedBuffer(maxCapturedBytes);
    const stderr = new CappedBuffer(maxCapturedBytes);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

    let stopReason: Error | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (reason: Error): void => {
      if (stopReason !== null) return;
      stopReason = reason;
      child.kill('SIGTERM');
      // A Python CLI mid-upload may ignore SIGTERM for a while; do not wait for it forever.
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? 5_000);
      killTimer.unref();
    };
    const timeout = setTimeout(
      () => stop(new TimeoutError(`modal ${describeCommand(args)}`, options.timeoutMs, { details: { platform: 'modal' } })),
      options.timeoutMs,
    );
    const onAbort = (): void => stop(abortReason(options.signal));
    options.signal.addEventListener('abort', onAbort, { once: true });
    const cleanUp = (): void => {
      clearTimeout(timeout);
      if (killTimer !== undefined) clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    };

    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanUp();
      reject(
        error.code === 'ENOENT' || error.code === 'EACCES'
          ? cliMissingError(options.executable, error)
          : new ModelportError('internal_error', `could not start the Modal CLI: ${error.message}`, { cause: error }),
      );
    });
    child.once('close', (code, signal) => {
      cleanUp();
      if (stopReason !== null) {
        reject(stopReason);
        return;
      }
      const result = {
        // Killed by someone else: report it like a failed run, with the signal in the output.
        exitCode: code ?? 128,
        stdout: redact(stdout.text(), secrets),
        stderr: redact(stderr.text() + (signal === null ? '' : `\n(terminated by ${signal})`), secrets),
      };
      options.logger.debug('modal cli finished', { command: describeCommand(args), exitCode: result.exitCode });
      resolve(result);
    });
  });
}

/**
 * Host variables the CLI may need to start and reach Modal: how to find Python and its packages, where
 * home and temp are, locale, proxies and CA bundles, and Modal's own configuration. Everything else in
 * modelport's environment (other providers' keys, the database URL, the secret key) stays out of the
 * child: the CLI has no business seeing it.
 */
const passedThrough = [
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|TEMP|TMP|SYSTEMROOT|VIRTUAL_ENV)$/,
  /^LC_/,
  /^XDG_/,
  /^PYTHON/,
  /^PYENV/,
  /^CONDA/,
  /^UV_/,
  /^(SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|GRPC_DEFAULT_SSL_ROOTS_FILE_PATH)$/,
  /^(HTTP_PROXY|HTTPS_PROXY|NO_PROXY|ALL_PROXY|GRPC_PROXY)$/i,
  /^MODAL_(CONFIG_PATH|PROFILE|SERVER_URL|ENVIRONMENT|LOGLEVEL)$/,
];

/**
 * The child's environment: the host variables above, the workspace token from the connector context
 * (which wins over any `~/.modal.toml` profile), and output settings that keep rich's console parseable.
 */
export function childEnvironment(
  options: Pick<ModalCliOptions, 'tokenId' | 'tokenSecret'>,
  host: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(host).filter(([name, value]) => value !== undefined && passedThrough.some((pattern) => pattern.test(name))),
  );
  return {
    ...inherited,
    MODAL_TOKEN_ID: options.tokenId,
    MODAL_TOKEN_SECRET: options.tokenSecret,
    // Wide enough that rich never wraps an endpoint URL onto the next line.
    COLUMNS: '400',
    NO_COLOR: '1',
    TERM: 'dumb',
    PYTHONIOENCODING: 'utf-8',
    PYTHONUNBUFFERED: '1',
  };
}

/** Whoever aborted decides what the caller sees; a bare abort becomes a DOMException like fetch's. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError');
}

/** `deploy`, `app stop`, `app list`: the verb without file paths or names, for messages and logs. */
export function describeCommand(args: readonly string[]): string {
  const verbs: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-') || verbs.length === 2 || !/^[a-z]+$/.test(arg)) break;
    verbs.push(arg);
  }
  return verbs.join(' ');
}

/** The actionable error for a host without the Modal CLI. */
export function cliMissingError(executable: string, cause?: unknown): ModelportError {
  return new ModelportError(
    'platform_not_configured',
    `modal: the Modal CLI '${executable}' was not found or is not executable. Install it on the modelport host ` +
      '(Python 3.10+): `pip install modal`, then check that `modal --version` works; or point the modal ' +
      'platform setting modalCli (env MODELPORT_MODAL_MODAL_CLI) at the executable. Credentials come from ' +
      'MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (create them with `modal token new`).',
    { cause, details: { platform: 'modal', missing: ['modal CLI'], executable } },
  );
}

/** The last lines of a failed run, cleaned for an error message: the error panel is at the end. */
export function cliFailureText(result: ModalCliResult): string {
  const fromStderr = meaningfulLines(result.stderr);
  const lines = fromStderr.length > 0 ? fromStderr : meaningfulLines(result.stdout);
  return truncate(lines.slice(-12).join(' ')) || `exit code ${result.exitCode}`;
}

function meaningfulLines(text: string): string[] {
  return (
    stripAnsi(text)
      .split('\n')
      // rich draws its error panel with box characters; keep only the words.
      .map((line) => line.replace(/[│┃║╭╮╰╯─━═┌┐└┘╔╗╚╝]/g, ' ').replace(/\s+/g, ' ').trim())
      .filter((line) => line !== '')
  );
}

// Narrow on purpose: "token" alone also appears in build errors about Hugging Face tokens.
const authFailure =
  /\b(could not authenticate|unauthenticated|unauthori[sz]ed|invalid (token|credentials)|token (id |secret )?(is )?(missing|malformed|invalid|not found|expired|revoked)|authentication (failed|error)|AuthError)\b/i;
const transientFailure =
  /\b(timed? ?out|temporar\w*|unavailable|connection (reset|refused|error|closed)|network|try again|deadline exceeded|internal server error|too many requests|50[234])\b/i;
const outdatedCli = /\b(no such (option|command)|unexpected extra argument|got unexpected)\b/i;

/**
 * Turns a failed run into the error callers throw. The CLI exits 1 for every failure and 2 for usage
 * errors, so the words decide: authentication → PlatformAuthError; network and server trouble →
 * retryable PlatformApiError; anything else (a bad model id, a build failure) is not retryable, because
 * running the same deploy again fails the same way.
 */
export function cliFailureError(operation: string, result: ModalCliResult): ModelportError {
  const text = cliFailureText(result);
  const details = { exitCode: result.exitCode, operation };
  if (authFailure.test(text)) {
    return new PlatformAuthError(
      'modal',
      `${operation} was refused: ${text} (check MODAL_TOKEN_ID / MODAL_TOKEN_SECRET)`,
      { details },
    );
  }
  if (result.exitCode === 2 || outdatedCli.test(text)) {
    return new PlatformApiError('modal', `${operation} failed: ${text} (is the Modal CLI current? pip install -U modal)`, undefined, {
      retryable: false,
      details,
    });
  }
  return new PlatformApiError('modal', `${operation} failed: ${text}`, undefined, {
    retryable: transientFailure.test(text),
    details,
  });
}

/** Keeps the newest `limit` bytes of a stream. */
class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      const dropped = this.chunks.shift();
      this.size -= dropped?.length ?? 0;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
