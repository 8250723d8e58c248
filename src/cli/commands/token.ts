import { Option, type Command } from 'commander';
import { formatAge } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { withExamples, type ContextFactory } from './command-kit.js';

export const tokenRoles = ['admin', 'deployer', 'viewer'] as const;

/**
 * `modelport token …`: API tokens (`/api/tokens`). The secret is shown once, at creation; the server
 * never returns it again. Thin on purpose, like `route`.
 */
export function registerTokenCommands(program: Command, contextFor: ContextFactory): void {
  const group = program.command('token').alias('tokens').description('manage API tokens (no verb: list)');

  group
    .command('list', { isDefault: true })
    .alias('ls')
    .description('list API tokens (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const context = contextFor(command);
      const items = await context.client.listTokens();
      if (context.json) {
        context.printJson({ items });
        return;
      }
      if (items.length === 0) {
        context.print('No API tokens.\n');
        return;
      }
      const now = context.now();
      const when = (value: unknown) => (typeof value === 'string' ? formatAge(value, now) : '–');
      context.print(
        renderTable(
          [{ header: 'ID' }, { header: 'NAME' }, { header: 'ROLE' }, { header: 'PREFIX' }, { header: 'CREATED' }, { header: 'LAST USED' }, { header: 'STATE' }],
          items.map((token) => [
            token.id,
            token.name,
            token.role,
            typeof token['prefix'] === 'string' ? `${token['prefix']}…` : '–',
            when(token['createdAt']),
            when(token['lastUsedAt']),
            typeof token['revokedAt'] === 'string' ? context.style.red(`revoked ${when(token['revokedAt'])}`) : context.style.green('active'),
          ]),
          { headerStyle: context.style.bold },
        ),
      );
    });

  withExamples(
    group
      .command('create <name>')
      .description('create an API token; its secret is printed once')
      .addOption(new Option('--role <role>', 'what the token may do').choices(tokenRoles).default('viewer')),
    ['modelport token create ci-deployer --role deployer', 'export MODELPORT_API_TOKEN=$(modelport token create ci --role deployer --json | jq -r .secret)'],
  ).action(async (name: string, options: { role: string }, command: Command) => {
    const context = contextFor(command);
    const created = await context.client.createToken({ name, role: options.role });
    if (context.json) {
      context.printJson(created);
      return;
    }
    context.print(
      `${context.style.green('created')} token ${created.token.name} (${created.token.role}, id ${created.token.id})\n\n` +
        `  ${context.style.bold(created.secret)}\n\n` +
        `${context.style.yellow('This secret is shown once.')} Use it as MODELPORT_API_TOKEN or an Authorization: Bearer header.\n`,
    );
  });

  group
    .command('delete <id>')
    .aliases(['rm', 'revoke'])
    .description('revoke an API token')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextFor(command);
      await context.client.deleteToken(id);
      if (context.json) context.printJson({ deleted: true, id });
      else context.print(`${context.style.red('revoked')} token ${id}\n`);
    });
}
