import type { Command } from 'commander';
import { stringify } from 'yaml';
import { readSourceText } from '../apply/apply-file.js';
import { parseSourceFile } from '../apply/source-file.js';
import { CliError } from '../cli-error.js';
import type { RouteView } from '../client.js';
import type { CliContext } from '../context.js';
import { collect, parseOptionPairs } from '../options.js';
import { truncate } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { withExamples, type ContextFactory } from './command-kit.js';

/**
 * `modelport route …`: named routes over deployments (`/api/routes`). Deliberately thin — bodies come
 * from a file and/or `--set key=value` and are passed through — so the commands follow the API as it
 * settles instead of restating its schema.
 */
export function registerRouteCommands(program: Command, contextFor: ContextFactory): void {
  const group = program.command('route').alias('routes').description('manage routes (no verb: list)');

  group
    .command('list', { isDefault: true })
    .alias('ls')
    .description('list routes')
    .action(async (_options: unknown, command: Command) => {
      const context = contextFor(command);
      const items = await context.client.listRoutes();
      if (context.json) context.printJson({ items });
      else if (items.length === 0) context.print('No routes yet. Create one with `modelport route create` or in modelport.yaml.\n');
      else context.print(renderTable([{ header: 'NAME' }, { header: 'DEFINITION' }], items.map((route) => [route.name, truncate(JSON.stringify(definitionOf(route)), 100)]), { headerStyle: context.style.bold }));
    });

  group
    .command('get <name>')
    .description('show a route')
    .action(async (name: string, _options: unknown, command: Command) => {
      const context = contextFor(command);
      const route = await context.client.getRoute(name);
      if (context.json) context.printJson(route);
      else context.print(stringify(route));
    });

  withExamples(
    group
      .command('create [name]')
      .description('create a route from a file and/or --set fields')
      .option('-f, --file <route>', 'route as YAML or JSON')
      .option('--set <key=value>', 'a field (value parsed as JSON when it is JSON; dotted keys nest; repeatable)', collect),
    ['modelport route create -f route.yaml', `modelport route create main --set 'targets=[{"deployment":"support-bot","weight":100}]'`],
  ).action(async (name: string | undefined, options: { file?: string; set?: string[] }, command: Command) => {
    const context = contextFor(command);
    const body = await bodyOf(context, options);
    if (name !== undefined) body['name'] = name;
    if (typeof body['name'] !== 'string') throw new CliError('usage', 'a route needs a name: give it as the argument or in the file');
    const route = await context.client.createRoute(body);
    if (context.json) context.printJson(route);
    else context.print(`${context.style.green('created')} route ${route.name}\n`);
  });

  group
    .command('update <name>')
    .description('change a route (only the fields given)')
    .option('-f, --file <changes>', 'changes as YAML or JSON')
    .option('--set <key=value>', 'a field to change (repeatable)', collect)
    .action(async (name: string, options: { file?: string; set?: string[] }, command: Command) => {
      const context = contextFor(command);
      const changes = await bodyOf(context, options);
      delete changes['name'];
      if (Object.keys(changes).length === 0) throw new CliError('usage', 'nothing to change: give -f or --set');
      const route = await context.client.updateRoute(name, changes);
      if (context.json) context.printJson(route);
      else context.print(`${context.style.green('updated')} route ${route.name}\n`);
    });

  group
    .command('delete <name>')
    .alias('rm')
    .description('delete a route')
    .action(async (name: string, _options: unknown, command: Command) => {
      const context = contextFor(command);
      await context.client.deleteRoute(name);
      if (context.json) context.printJson({ deleted: true, name });
      else context.print(`${context.style.red('deleted')} route ${name}\n`);
    });
}

async function bodyOf(context: CliContext, options: { file?: string; set?: string[] }): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  if (options.file) {
    const source = parseSourceFile(await readSourceText(options.file, context.cwd), options.file);
    if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) throw new CliError('validation_failed', `${options.file} must hold one object`);
    body = { ...(source.value as Record<string, unknown>) };
  }
  return { ...body, ...parseOptionPairs(options.set ?? [], '--set') };
}

function definitionOf(route: RouteView): Record<string, unknown> {
  const { name: _name, id: _id, version: _version, createdAt: _createdAt, updatedAt: _updatedAt, ...rest } = route;
  const spec = rest['spec'];
  return typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Record<string, unknown>) : rest;
}
