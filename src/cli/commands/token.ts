import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { ApiTokenView } from '../client.js';
import type { CliContext } from '../context.js';
import { formatAge } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { withExamples, type ContextFactory } from './command-kit.js';

export const tokenRoles = ['admin', 'deployer', 'viewer', 'invoker'] as const;

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
          [{ header: 'ID' }, { header: 'NAME' }, { header: 'ROLE' }, { header: 'RATE LIMIT' }, { header: 'PREFIX' }, { header: 'CREATED' }, { header: 'LAST USED' }, { header: 'STATE' }],
          items.map((token) => [
            token.id,
            token.name,
            token.role,
            rateLimitOf(token),
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
      .command('create [name]')
      .description('create an API token; its secret is printed once')
      .option('--name <name>', 'the token name (instead of the argument)')
      .addOption(new Option('--role <role>', 'what the token may do (invoker: the gateway /v1 only)').choices(tokenRoles).default('viewer'))
      .option('--rate-limit <requests>', 'gateway requests per minute, across all servers (default: unlimited)', parseRequestsPerMinute),
    [
      'modelport token create ci-deployer --role deployer',
      'modelport token create --name support-app --role invoker --rate-limit 600',
      'export MODELPORT_API_TOKEN=$(modelport token create ci --role deployer --json | jq -r .secret)',
    ],
  ).action(async (argument: string | undefined, options: { name?: string; role: string; rateLimit?: number }, command: Command) => {
    const context = contextFor(command);
    if (argument !== undefined && options.name !== undefined && argument !== options.name) throw new CliError('usage', `two names given ('${argument}' and --name '${options.name}'): give one`);
    const name = argument ?? options.name;
    if (name === undefined) throw new CliError('usage', 'a token needs a name: give it as the argument or with --name');
    const created = await context.client.createToken({ name, role: options.role, ...(options.rateLimit === undefined ? {} : { rateLimit: { requestsPerMinute: options.rateLimit } }) });
    if (context.json) {
      context.printJson(created);
      return;
    }
    const limit = created.token['rateLimit'] === undefined || created.token['rateLimit'] === null ? '' : `, ${rateLimitOf(created.token)}`;
    context.print(
      `${context.style.green('created')} token ${created.token.name} (${created.token.role}${limit}, id ${created.token.id})\n\n` +
        `  ${context.style.bold(created.secret)}\n\n` +
        `${context.style.yellow('This secret is shown once.')} Use it as MODELPORT_API_TOKEN or an Authorization: Bearer header.\n`,
    );
  });

  withExamples(
    group
      .command('update <token>')
      .description("change a token's gateway rate limit (the token by id, or by name when one live token has it)")
      .requiredOption('--rate-limit <requests|none>', 'gateway requests per minute, or none to remove the limit', parseRateLimitChange),
    ['modelport token update support-app --rate-limit 1200', 'modelport token update support-app --rate-limit none'],
  ).action(async (reference: string, options: { rateLimit: number | 'none' }, command: Command) => {
    const context = contextFor(command);
    const token = await resolveToken(context, reference);
    const updated = await context.client.updateToken(token.id, { rateLimit: options.rateLimit === 'none' ? null : { requestsPerMinute: options.rateLimit } });
    if (context.json) context.printJson(updated);
    else context.print(`${context.style.green('updated')} token ${updated.name}: rate limit ${rateLimitOf(updated)}\n`);
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

/** By id, else by name among live tokens; names are not unique, so an ambiguous one asks for the id. */
async function resolveToken(context: CliContext, reference: string): Promise<ApiTokenView> {
  const tokens = await context.client.listTokens();
  const byId = tokens.find((token) => token.id === reference);
  if (byId) return byId;
  const named = tokens.filter((token) => token.name === reference && (token['revokedAt'] ?? null) === null);
  if (named.length === 1 && named[0]) return named[0];
  if (named.length > 1) throw new CliError('usage', `${named.length} live tokens are named '${reference}': give the id (${named.map((token) => token.id).join(', ')})`);
  throw new CliError('not_found', `no token with id or live name '${reference}' (see \`modelport token list\`)`);
}

function rateLimitOf(token: ApiTokenView): string {
  const limit = token['rateLimit'];
  if (typeof limit === 'object' && limit !== null && typeof (limit as Record<string, unknown>)['requestsPerMinute'] === 'number') {
    return `${(limit as { requestsPerMinute: number }).requestsPerMinute}/min`;
  }
  return 'unlimited';
}

function parseRequestsPerMinute(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('expected requests per minute: a whole number of 1 or more.');
  return Number(value);
}

/** 'none', not null: commander turns a parser's null into ''. */
function parseRateLimitChange(value: string): number | 'none' {
  if (value.trim() === 'none') return 'none';
  return parseRequestsPerMinute(value);
}
