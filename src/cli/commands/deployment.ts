import { Option, type Command } from 'commander';
import { DeploymentChangesSchema, DeploymentSpecSchema } from '../../core/deployment-spec.js';
import { deploymentStatuses } from '../../core/deployment-status.js';
import { platformIds } from '../../core/platform-id.js';
import { readSourceText } from '../apply/apply-file.js';
import { parseSourceFile, validateSource, type SourceFile } from '../apply/source-file.js';
import { removeDeployment } from '../apply/wait.js';
import { CliError } from '../cli-error.js';
import type { DeploymentView } from '../client.js';
import type { CliContext } from '../context.js';
import { collect, parseDuration, parseInteger } from '../options.js';
import { renderDeploymentDetails, renderDeploymentTable, renderEvents } from '../output/deployment-view.js';
import { addDeploymentFlags, addIdentityFlags, changesFromFlags, specFromFlags, type DeploymentFlags } from './deployment-flags.js';
import { addWaitOptions, defaultWaitTimeoutMs, followDeployment, waitOptionsFor, withExamples, type ContextFactory } from './command-kit.js';

interface WaitFlags {
  wait?: boolean;
  timeout: number;
}

/** `modelport deployment …` (alias `deployments`, `dep`); with no verb it lists. */
export function registerDeploymentCommands(program: Command, contextFor: ContextFactory): void {
  const group = program
    .command('deployment')
    .aliases(['deployments', 'dep'])
    .description('create, deploy, inspect, change, stop and delete deployments (no verb: list)');

  withExamples(
    group
      .command('list', { isDefault: true })
      .alias('ls')
      .description('list deployments, newest first')
      .addOption(new Option('--status <status>', 'only this status').choices(deploymentStatuses))
      .addOption(new Option('--platform <id>', 'only this platform').choices(platformIds)),
    ['modelport deployments', 'modelport deployment list --status active --platform local', 'modelport deployments --json | jq -r ".items[].name"'],
  ).action(async (options: { status?: string; platform?: string }, command: Command) => {
    const context = contextFor(command);
    const items = await context.client.listDeployments(options);
    if (context.json) context.printJson({ items });
    else context.print(renderDeploymentTable(items, context.style, context.now()));
  });

  group
    .command('get <name>')
    .alias('show')
    .description('show one deployment (by name or id)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const context = contextFor(command);
      const deployment = await context.client.getDeployment(name);
      if (context.json) context.printJson(deployment);
      else context.print(renderDeploymentDetails(deployment, context.style, context.now()));
    });

  group
    .command('events <name>')
    .alias('history')
    .description('status history of a deployment, newest first')
    .option('--limit <n>', 'how many events', parseInteger, 20)
    .action(async (name: string, options: { limit: number }, command: Command) => {
      const context = contextFor(command);
      const items = await context.client.deploymentEvents(name, options.limit);
      if (context.json) context.printJson({ items });
      else context.print(renderEvents(items, context.style, context.now()));
    });

  withExamples(
    addWaitOptions(
      addDeploymentFlags(addIdentityFlags(group.command('create').description('create a deployment (status pending) from flags and/or a spec file')))
        .option('-f, --file <spec>', 'deployment spec as YAML or JSON (same fields as POST /api/deployments); flags override it')
        .option('--deploy', 'deploy it right away'),
      'it is active or failed (implies --deploy)',
    ),
    [
      'modelport deployment create --name support-bot --platform local --base-model demo/tiny-llama --adapter demo/cat --deploy --wait',
      'modelport deployment create -f support-bot.yaml --max-replicas 2',
      'modelport deployment create --name my-vllm --platform openai-compatible --base-model meta-llama/Llama-3.1-8B-Instruct --option baseUrl=http://10.0.0.5:8000/v1',
    ],
  ).action(async (options: DeploymentFlags & WaitFlags & { file?: string; name?: string; platform?: string; baseModel?: string; deploy?: boolean }, command: Command) => {
    const context = contextFor(command);
    const source = options.file ? parseSourceFile(await readSourceText(options.file, context.cwd), options.file) : null;
    const base = source ? fileObject(source) : {};
    const spec = specFromFlags(options, base);
    const missing = [
      ['name', '--name'],
      ['platform', '--platform'],
      ['baseModel', '--base-model'],
    ].filter(([field]) => spec[field ?? ''] === undefined);
    if (missing.length > 0) throw new CliError('usage', `missing ${missing.map(([, flag]) => flag).join(', ')} (or give them in a spec file with -f)`);
    // Checked here with the server's own schema so a file's mistakes point at their line.
    if (source) validateSource(source, DeploymentSpecSchema, { value: spec });
    let deployment = await context.client.createDeployment(spec);
    context.note(`${context.style.green('created')} ${deployment.name} (${deployment.status})\n`);
    if (options.deploy || options.wait) deployment = await deployAndMaybeWait(context, deployment, options);
    finish(context, deployment);
  });

  withExamples(addWaitOptions(group.command('deploy <name>').description('deploy (or redeploy a stopped or failed) deployment'), 'it is active or failed'), [
    'modelport deployment deploy support-bot --wait',
  ]).action(async (name: string, options: WaitFlags, command: Command) => {
    const context = contextFor(command);
    finish(context, await deployAndMaybeWait(context, await context.client.getDeployment(name), options));
  });

  withExamples(
    addWaitOptions(
      addDeploymentFlags(group.command('update <name>').description('change adapter, scaling, timeouts, env, hardware or platform options (an active deployment goes through updating)'))
        .option('--unset-env <KEY>', 'remove an environment variable (repeatable)', collect)
        .option('-f, --file <changes>', 'changes as YAML or JSON (same fields as PATCH /api/deployments/{id})'),
      'it is active or failed again',
    ),
    ['modelport deployment update support-bot --adapter demo/dog --wait', 'modelport deployment update support-bot --max-replicas 3 --env LOG_LEVEL=debug'],
  ).action(async (name: string, options: DeploymentFlags & WaitFlags & { unsetEnv?: string[]; file?: string }, command: Command) => {
    const context = contextFor(command);
    const current = await context.client.getDeployment(name);
    let changes = changesFromFlags(options, current.config);
    if (options.file) {
      const source = parseSourceFile(await readSourceText(options.file, context.cwd), options.file);
      changes = { ...validateSource(source, DeploymentChangesSchema, { value: fileObject(source) }), ...changes };
    }
    if (Object.keys(changes).length === 0) throw new CliError('usage', 'nothing to change: give flags such as --adapter or --max-replicas, or -f changes.yaml');
    let deployment = await context.client.updateDeployment(current.id, changes);
    const hint = deployment.status === 'updating' || deployment.status === 'active' ? '' : ` — the change applies when it is deployed: \`modelport deployment deploy ${deployment.name}\``;
    context.note(`${context.style.green('updated')} ${deployment.name} (${deployment.status})${hint}\n`);
    if (options.wait && deployment.status === 'updating') deployment = await followDeployment(context, deployment, options.timeout, (current) => current.status === 'active');
    finish(context, deployment);
  });

  withExamples(addWaitOptions(group.command('stop <name>').description('stop a deployment (stopping, then stopped)'), 'it is stopped'), ['modelport deployment stop support-bot --wait']).action(
    async (name: string, options: WaitFlags, command: Command) => {
      const context = contextFor(command);
      let deployment = await context.client.stopDeployment(name);
      context.note(`${context.style.yellow('stopping')} ${deployment.name}\n`);
      if (options.wait) deployment = await followDeployment(context, deployment, options.timeout, (current) => current.status === 'stopped');
      finish(context, deployment);
    },
  );

  withExamples(
    group
      .command('delete <name>')
      .alias('rm')
      .description('delete a pending, stopped or failed deployment')
      .option('--force', 'stop it first if it is running, wait, then delete')
      .addOption(new Option('--timeout <duration>', 'how long --force waits for the stop').default(defaultWaitTimeoutMs, '20m').argParser(parseDuration)),
    ['modelport deployment delete support-bot', 'modelport deployment delete support-bot --force'],
  ).action(async (name: string, options: { force?: boolean; timeout: number }, command: Command) => {
    const context = contextFor(command);
    const deployment = await context.client.getDeployment(name);
    if (options.force) {
      await removeDeployment(context.client, deployment.id, { ...waitOptionsFor(context, options.timeout), onStep: (step) => context.note(`${step} ${deployment.name}…\n`) });
    } else {
      await context.client.deleteDeployment(deployment.id);
    }
    if (context.json) context.printJson({ deleted: true, id: deployment.id, name: deployment.name });
    else context.print(`${context.style.red('deleted')} ${deployment.name}\n`);
  });
}

async function deployAndMaybeWait(context: CliContext, deployment: DeploymentView, options: WaitFlags): Promise<DeploymentView> {
  const deploying = await context.client.deployDeployment(deployment.id);
  context.note(`${context.style.yellow('deploying')} ${deploying.name}${options.wait ? '' : ` — follow it with \`modelport deployment get ${deploying.name}\``}\n`);
  if (!options.wait) return deploying;
  return followDeployment(context, deploying, options.timeout, (current) => current.status === 'active');
}

function finish(context: CliContext, deployment: DeploymentView): void {
  if (context.json) context.printJson(deployment);
  else if (deployment.status === 'active' && deployment.endpointUrl) context.print(`endpoint ${deployment.endpointUrl} (model: ${deployment.name})\n`);
}

function fileObject(source: SourceFile): Record<string, unknown> {
  if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
    throw new CliError('validation_failed', `${source.displayPath} must hold one object (a mapping of fields)`);
  }
  return source.value as Record<string, unknown>;
}
