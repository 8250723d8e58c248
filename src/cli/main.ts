import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isModelportError } from '../core/errors/index.js';
import { CliError, formatCliError, isCliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { registerApplyCommand } from './commands/apply.js';
import { registerBudgetCommands } from './commands/budget.js';
import type { ContextFactory } from './commands/command-kit.js';
import { registerDeploymentCommands } from './commands/deployment.js';
import { registerMetricsCommand } from './commands/metrics.js';
import { registerPlatformsCommand } from './commands/platforms.js';
import { registerRouteCommands } from './commands/route.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTestCommand } from './commands/test.js';
import { registerTokenCommands } from './commands/token.js';
import { createContext, defaultServerUrl, type GlobalOptions } from './context.js';
import { exitCodeHelp, exitCodes } from './exit-codes.js';

export type { CliIo, CliOutput } from './cli-io.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Runs the `modelport` CLI once and resolves with its exit code. It never calls process.exit and
 * writes only to `io.stdout`/`io.stderr`, so tests run it in-process. Errors become one stderr line
 * `modelport: <detail> (<code>)` (issues indented below) and the exit code of their code
 * (see exit-codes.ts).
 */
export async function main(io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(io.argv, { from: 'user' });
    return exitCodes.success;
  } catch (error) {
    return report(io, error);
  }
}

/** The commander program: noun-then-verb commands, global --json/--url/--token. */
export function createProgram(io: CliIo): Command {
  const program = new Command('modelport')
    .description('Deploy, test, meter and pay for fine-tuned LLMs and LoRA adapters on any platform — a client of the modelport server.')
    .version(version, '-V, --version')
    .option('--json', 'print the result as one JSON document on stdout (progress and notes go to stderr)')
    .option('--url <url>', `server URL (env MODELPORT_URL, default ${defaultServerUrl})`)
    .option('--token <token>', 'API token, sent as Authorization: Bearer (env MODELPORT_API_TOKEN)')
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Usage errors are reported by main() in the CLI's one-line format.
      outputError: () => undefined,
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    })
    .addHelpText(
      'after',
      `
Environment:
  MODELPORT_URL        server URL (default ${defaultServerUrl}); --url overrides it
  MODELPORT_API_TOKEN  API token sent as Authorization: Bearer; --token overrides it
  NO_COLOR             no colours (colours are only used when stdout is a terminal)

Examples:
  $ modelport serve
  $ modelport deployment create --name support-bot --platform local --base-model demo/tiny-llama --adapter demo/cat --deploy --wait
  $ modelport test support-bot "Where is my order?"
  $ modelport metrics support-bot --window 24h
  $ modelport apply -f modelport.yaml --yes
  $ modelport deployments --json

${exitCodeHelp}
`,
    );

  const contextFor: ContextFactory = (command) => createContext(io, command.optsWithGlobals<GlobalOptions>());
  registerServeCommand(program, io);
  registerDeploymentCommands(program, contextFor);
  registerTestCommand(program, contextFor);
  registerMetricsCommand(program, contextFor);
  registerPlatformsCommand(program, contextFor);
  registerApplyCommand(program, contextFor);
  registerRouteCommands(program, contextFor);
  registerTokenCommands(program, contextFor);
  registerBudgetCommands(program, contextFor);
  return program;
}

function report(io: CliIo, error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with exit code 0 by design.
    if (error.exitCode === 0) return exitCodes.success;
    // `modelport` or `modelport route x` without a usable command: commander already printed the help.
    if (error.code === 'commander.help') return exitCodes.invalid;
    const failure = new CliError('usage', `${error.message.replace(/^error: /, '')} — see \`modelport --help\``);
    io.stderr.write(formatCliError(failure));
    return failure.exitCode;
  }
  const failure = isCliError(error)
    ? error
    : isModelportError(error)
      ? new CliError(error.code, error.message)
      : new CliError('internal_error', `unexpected error: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  io.stderr.write(formatCliError(failure));
  return failure.exitCode;
}
