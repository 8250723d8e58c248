import { Option, type Command } from 'commander';
import { createProgressDisplay, type ProgressDisplay } from '../apply/progress.js';
import { deploymentFailedError, waitForDeployment, type WaitOptions } from '../apply/wait.js';
import type { DeploymentView } from '../client.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../options.js';

/** Builds the context of a command from its (and the program's) options. */
export type ContextFactory = (command: Command) => CliContext;

/** What --timeout defaults to: longer than a deployment's own default deploy timeout (15 min). */
export const defaultWaitTimeoutMs = 20 * 60_000;

/** `--wait` and `--timeout` for commands that can follow a deployment to a stable status. */
export function addWaitOptions(command: Command, what: string): Command {
  return command
    .option('--wait', `wait until ${what}, showing progress`)
    .addOption(new Option('--timeout <duration>', 'how long --wait waits (e.g. 90s, 10m, 1h)').default(defaultWaitTimeoutMs, '20m').argParser(parseDuration));
}

/** Progress goes to stdout for humans, to stderr with --json (stdout holds only the JSON document). */
export function progressFor(context: CliContext): ProgressDisplay {
  const output = context.json ? context.stderr : context.stdout;
  // With --json the context's style is already colourless.
  return createProgressDisplay(output, context.style, { tty: output.isTTY === true && !context.json, now: context.now });
}

export function waitOptionsFor(context: CliContext, timeoutMs: number): Omit<WaitOptions, 'onPoll'> {
  return { intervalMs: context.pollIntervalMs, deadline: context.now() + timeoutMs, now: context.now };
}

/**
 * Follows one deployment until `done`, with a progress line. A deployment that ends failed is the
 * `deployment_failed` error (exit 11).
 */
export async function followDeployment(context: CliContext, deployment: DeploymentView, timeoutMs: number, done: (deployment: DeploymentView) => boolean): Promise<DeploymentView> {
  const progress = progressFor(context);
  progress.update(deployment.name, { state: deployment.status, message: deployment.statusMessage });
  try {
    const final = await waitForDeployment(context.client, deployment.id, (current) => done(current) || current.status === 'failed', {
      ...waitOptionsFor(context, timeoutMs),
      // The final status is reported once, with its outcome, below.
      onPoll: (current) => (done(current) || current.status === 'failed' ? undefined : progress.update(current.name, { state: current.status, message: current.statusMessage })),
    });
    progress.update(final.name, { state: final.status, message: final.lastError?.message ?? final.statusMessage, ok: final.status !== 'failed' });
    if (final.status === 'failed' && !done(final)) throw deploymentFailedError([final]);
    return final;
  } finally {
    progress.finish();
  }
}

/** Examples appended to a command's --help. */
export function withExamples(command: Command, examples: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((example) => `  $ ${example}`).join('\n')}\n`);
}
