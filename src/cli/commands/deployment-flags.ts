import { Option, type Command } from 'commander';
import { platformIds } from '../../core/platform-id.js';
import { CliError } from '../cli-error.js';
import { collect, parseEnvPairs, parseInteger, parseNumber, parseOptionPairs } from '../options.js';

/** The flags `deployment create` and `deployment update` share. */
export interface DeploymentFlags {
  adapter?: string | false;
  adapterScale?: number;
  extraAdapter?: string[];
  hardware?: string;
  minReplicas?: number;
  maxReplicas?: number;
  scaleDownDelay?: number;
  requestTimeoutMs?: number;
  deployTimeoutMs?: number;
  env?: string[];
  option?: string[];
}

export function addDeploymentFlags(command: Command): Command {
  return command
    .option('--adapter <id>', 'LoRA adapter served by default (e.g. demo/cat, a .gguf path for local)')
    .option('--no-adapter', 'serve the base model without an adapter')
    .option('--adapter-scale <scale>', 'LoRA scale of --adapter, where the platform supports it (0–4)', parseNumber)
    .option('--extra-adapter <id>', 'another adapter callable as <name>:<id> (repeatable)', collect)
    .option('--hardware <id>', 'hardware id (see `modelport platforms --json`)')
    .option('--min-replicas <n>', 'minimum replicas (0 = scale to zero where supported)', parseInteger)
    .option('--max-replicas <n>', 'maximum replicas', parseInteger)
    .option('--scale-down-delay <seconds>', 'idle seconds before scaling down', parseInteger)
    .option('--request-timeout-ms <ms>', 'per-request timeout in milliseconds', parseInteger)
    .option('--deploy-timeout-ms <ms>', 'how long deploying may take before it fails', parseInteger)
    .option('--env <KEY=VALUE>', 'environment variable for the deployment (repeatable)', collect)
    .option('--option <key=value>', 'platform option, value parsed as JSON when it is JSON; dotted keys nest (repeatable)', collect);
}

export function addIdentityFlags(command: Command): Command {
  return command
    .option('--name <name>', 'deployment name: lowercase letters, digits and dashes (also the gateway model name)')
    .addOption(new Option('--platform <id>', 'platform to run on').choices(platformIds))
    .option('--base-model <model>', 'base model id (e.g. demo/tiny-llama, a .gguf path for local)');
}

/**
 * A create body from flags laid over a spec file (flags win). Fields that are not given stay absent, so
 * the server's defaults apply.
 */
export function specFromFlags(flags: DeploymentFlags & { name?: string; platform?: string; baseModel?: string }, base: Record<string, unknown>): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...base };
  if (flags.name !== undefined) spec['name'] = flags.name;
  if (flags.platform !== undefined) spec['platform'] = flags.platform;
  if (flags.baseModel !== undefined) spec['baseModel'] = flags.baseModel;
  Object.assign(spec, changesFromFlags(flags, { scaling: record(base['scaling']), timeouts: record(base['timeouts']), env: record(base['env']), platformOptions: record(base['platformOptions']) }));
  return spec;
}

/**
 * A PATCH body from flags. Scaling, timeouts, env and platform options are merged over `current`, so
 * `--max-replicas 3` keeps minReplicas and `--env A=1` keeps the other variables.
 */
export function changesFromFlags(
  flags: DeploymentFlags & { unsetEnv?: string[] },
  current: { scaling: Record<string, unknown>; timeouts: Record<string, unknown>; env: Record<string, unknown>; platformOptions: Record<string, unknown> },
): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (flags.adapter === false) changes['adapter'] = null;
  else if (flags.adapter !== undefined) changes['adapter'] = { id: flags.adapter, ...(flags.adapterScale === undefined ? {} : { scale: flags.adapterScale }) };
  else if (flags.adapterScale !== undefined) throw new CliError('usage', '--adapter-scale needs --adapter');
  if (flags.extraAdapter) changes['extraAdapters'] = flags.extraAdapter.map((id) => ({ id }));
  if (flags.hardware !== undefined) changes['hardware'] = flags.hardware;
  if (flags.minReplicas !== undefined || flags.maxReplicas !== undefined || flags.scaleDownDelay !== undefined) {
    changes['scaling'] = {
      ...current.scaling,
      ...(flags.minReplicas === undefined ? {} : { minReplicas: flags.minReplicas }),
      ...(flags.maxReplicas === undefined ? {} : { maxReplicas: flags.maxReplicas }),
      ...(flags.scaleDownDelay === undefined ? {} : { scaleDownDelaySeconds: flags.scaleDownDelay }),
    };
  }
  if (flags.requestTimeoutMs !== undefined || flags.deployTimeoutMs !== undefined) {
    changes['timeouts'] = {
      ...current.timeouts,
      ...(flags.requestTimeoutMs === undefined ? {} : { requestMs: flags.requestTimeoutMs }),
      ...(flags.deployTimeoutMs === undefined ? {} : { deployMs: flags.deployTimeoutMs }),
    };
  }
  if (flags.env || flags.unsetEnv) {
    const env: Record<string, unknown> = { ...current.env, ...parseEnvPairs(flags.env ?? []) };
    for (const name of flags.unsetEnv ?? []) delete env[name];
    changes['env'] = env;
  }
  if (flags.option) changes['platformOptions'] = deepMerge(current.platformOptions, parseOptionPairs(flags.option));
  return changes;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function deepMerge(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const existing = result[key];
    result[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof existing === 'object' && existing !== null && !Array.isArray(existing)
        ? deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return result;
}
