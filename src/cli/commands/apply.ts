import { Option, type Command } from 'commander';
import { loadApplyFile } from '../apply/apply-file.js';
import { executePlan, type ApplyOutcome } from '../apply/execute.js';
import { blockedEntries, planChangesSomething, planDeployments, planRoutes, summarizePlan, type Plan } from '../apply/plan.js';
import { renderPlan } from '../apply/plan-view.js';
import { deploymentFailedError } from '../apply/wait.js';
import { CliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../options.js';
import { defaultWaitTimeoutMs, progressFor, waitOptionsFor, withExamples, type ContextFactory } from './command-kit.js';

interface ApplyFlags {
  file: string;
  yes?: boolean;
  prune?: boolean;
  replace?: boolean;
  timeout: number;
}

/**
 * `modelport apply -f modelport.yaml`: make the server match a file. Shows the plan; with --yes carries
 * it out and waits until every deployment in the file is active or failed. A file that already matches
 * the server plans nothing and sends nothing that changes it.
 */
export function registerApplyCommand(program: Command, contextFor: ContextFactory): void {
  withExamples(
    program
      .command('apply')
      .description('make the server match a modelport.yaml: show the plan, apply it with --yes, wait until every deployment is active or failed')
      .requiredOption('-f, --file <path>', 'the file: `deployments:` (each like POST /api/deployments) and optional `routes:`')
      .option('-y, --yes', 'apply the plan (without it, only show it)')
      .option('--prune', 'also delete deployments (and routes, if the file has `routes:`) that the file does not list')
      .option('--replace', 'allow delete + create for deployments whose platform or baseModel changed')
      .addOption(new Option('--timeout <duration>', 'how long to wait for deployments to settle').default(defaultWaitTimeoutMs, '20m').argParser(parseDuration))
      .addHelpText(
        'after',
        `
File format (modelport.yaml):
  deployments:
    - name: support-bot
      platform: local
      baseModel: demo/tiny-llama
      adapter: { id: demo/cat }
      scaling: { minReplicas: 0, maxReplicas: 1 }
  routes: []        # optional; leave out to not manage routes

Plan symbols: + create (then deploy)   ~ update in place   ± replace (--replace)   = unchanged   - delete (--prune)`,
      ),
    ['modelport apply -f modelport.yaml', 'modelport apply -f modelport.yaml --yes', 'modelport apply -f modelport.yaml --yes --prune --json'],
  ).action(async (options: ApplyFlags, command: Command) => {
    const context = contextFor(command);
    const file = await loadApplyFile(options.file, context.cwd);
    const [current, currentRoutes] = await Promise.all([context.client.listDeployments(), file.routes === null ? Promise.resolve([]) : context.client.listRoutes()]);
    const plan: Plan = {
      deployments: planDeployments(file.deployments, current, { prune: options.prune === true, replace: options.replace === true }),
      routes: planRoutes(file.routes, currentRoutes, { prune: options.prune === true }),
    };
    const summary = summarizePlan(plan);
    const changes = planChangesSomething(plan);
    context.print(renderPlan(plan, context.style));

    const blocked = blockedEntries(plan);
    if (!options.yes) {
      if (context.json) context.printJson({ plan, summary, applied: false });
      else if (blocked.length > 0) context.print(`\n${context.style.red(`${blocked.map((entry) => entry.name).join(', ')} cannot change in place`)}: run with --replace to delete and recreate.\n`);
      else context.print(changes ? `\nRun again with --yes to apply.\n` : `\nNothing to change.\n`);
      return;
    }
    if (blocked.length > 0) {
      throw new CliError('conflict', `platform or baseModel changed for ${blocked.map((entry) => entry.name).join(', ')}: that needs delete + create; run with --replace`, {
        issues: blocked.flatMap((entry) => entry.diffs.filter((diff) => diff.field === 'platform' || diff.field === 'baseModel').map((diff) => ({ path: `${entry.name}.${diff.field}`, message: `${String(diff.from)} → ${String(diff.to)}` }))),
      });
    }

    context.print(changes ? '\nApplying…\n' : '\nNothing to change; checking that everything is running…\n');
    const progress = progressFor(context);
    let outcomes: ApplyOutcome[];
    try {
      outcomes = await executePlan(plan, { client: context.client, progress, wait: waitOptionsFor(context, options.timeout), source: file.source });
    } finally {
      progress.finish();
    }
    report(context, plan, outcomes);
  });
}

function report(context: CliContext, plan: Plan, outcomes: ApplyOutcome[]): void {
  const deploymentOutcomes = outcomes.filter((outcome) => outcome.kind === 'deployment');
  const active = deploymentOutcomes.filter((outcome) => outcome.deployment?.status === 'active').length;
  const deleted = deploymentOutcomes.filter((outcome) => outcome.action === 'delete' && outcome.ok).length;
  const failedDeployments = deploymentOutcomes.flatMap((outcome) => (outcome.deployment && outcome.deployment.status !== 'active' ? [outcome.deployment] : []));
  const errors = outcomes.filter((outcome) => outcome.error !== null);

  if (context.json) {
    context.printJson({
      plan,
      summary: summarizePlan(plan),
      applied: true,
      outcomes: outcomes.map((outcome) => ({
        kind: outcome.kind,
        name: outcome.name,
        action: outcome.action,
        ok: outcome.ok,
        status: outcome.deployment?.status ?? null,
        error: outcome.error ? { code: outcome.error.code, message: outcome.error.message, issues: outcome.error.issues } : null,
      })),
      deployments: deploymentOutcomes.flatMap((outcome) => (outcome.deployment ? [outcome.deployment] : [])),
    });
  } else {
    const parts = [`${active} active`];
    if (deleted > 0) parts.push(`${deleted} deleted`);
    if (failedDeployments.length > 0) parts.push(context.style.red(`${failedDeployments.length} failed`));
    if (errors.length > 0) parts.push(context.style.red(`${errors.length} with errors`));
    context.print(`\nDone: ${parts.join(', ')}.\n`);
  }

  const [first, ...more] = errors;
  if (first?.error) {
    if (more.length === 0) throw first.error;
    throw new CliError(first.error.code, `${errors.length} changes failed`, {
      issues: errors.flatMap((outcome) => (outcome.error ? [{ path: outcome.kind === 'route' ? `route ${outcome.name}` : outcome.name, message: `${outcome.error.message} (${outcome.error.code})` }, ...outcome.error.issues] : [])),
    });
  }
  if (failedDeployments.length > 0) throw deploymentFailedError(failedDeployments);
}
