import { exitCodeFor } from './exit-codes.js';

/** A field-level problem, as the API reports it or as the CLI found it in a file (`where` = file:line:col). */
export interface CliIssue {
  path: string;
  message: string;
  where?: string;
}

/**
 * Everything the CLI reports as a failure: a problem+json from the server, a connection failure, a bad
 * flag or file. `code` is the server's problem code or one of the CLI's own (usage, connection_failed,
 * deployment_failed, unauthorized, forbidden); the exit code follows from it.
 */
export class CliError extends Error {
  readonly code: string;
  readonly issues: CliIssue[];
  readonly httpStatus: number | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { issues?: CliIssue[]; httpStatus?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.issues = options.issues ?? [];
    this.httpStatus = options.httpStatus;
    this.exitCode = exitCodeFor(code, options.httpStatus);
  }
}

export function isCliError(value: unknown): value is CliError {
  return value instanceof CliError;
}

/** The one stderr report of a failure: `modelport: <detail> (<code>)`, then the issues indented. */
export function formatCliError(error: CliError): string {
  const lines = [`modelport: ${error.message} (${error.code})`];
  for (const issue of error.issues) {
    // The server's detail often already lists its issues; say each thing once.
    if (!issue.where && error.message.includes(issue.path ? `${issue.path}: ${issue.message}` : issue.message)) continue;
    const where = issue.where ? `${issue.where} ` : '';
    lines.push(`  ${where}${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
  }
  return lines.join('\n') + '\n';
}
