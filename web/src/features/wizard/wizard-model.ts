import type { CreateDeploymentBody, Platform } from '../../api/types';
import { DeploymentSpecSchema } from '../../lib/core-schemas';
import { envRecordOf, envRowErrors, type EnvRow } from '../../lib/env-rows';
import { mapIssues, type SchemaIssue } from '../../lib/spec-issues';

export type { EnvRow } from '../../lib/env-rows';

/** What the wizard's fields hold. Numbers are '' while empty (Mantine's NumberInput). */
export interface WizardValues {
  platform: string;
  baseModel: string;
  adapterId: string;
  name: string;
  hardware: string;
  minReplicas: number | string;
  maxReplicas: number | string;
  scaleDownDelaySeconds: number | string;
  requestTimeoutSeconds: number | string;
  deployTimeoutSeconds: number | string;
  env: EnvRow[];
  /** openai-compatible: the server's OpenAI base URL. */
  baseUrl: string;
  /** openai-compatible: which credential holds the server's key. */
  apiKeyEnv: string;
  /** Further platform options as JSON text (advanced). */
  platformOptions: string;
}

export const emptyWizardValues: WizardValues = {
  platform: '',
  baseModel: '',
  adapterId: '',
  name: '',
  hardware: '',
  minReplicas: 0,
  maxReplicas: 1,
  scaleDownDelaySeconds: '',
  requestTimeoutSeconds: 10,
  deployTimeoutSeconds: 900,
  env: [],
  baseUrl: '',
  apiKeyEnv: '',
  platformOptions: '',
};

export const wizardSteps = [
  { label: 'Platform', description: 'Where it runs', fields: ['platform'] },
  { label: 'Model', description: 'Base, adapter, name', fields: ['baseModel', 'adapterId', 'name', 'baseUrl', 'apiKeyEnv'] },
  {
    label: 'Resources',
    description: 'Scaling, hardware, env',
    fields: ['hardware', 'minReplicas', 'maxReplicas', 'scaleDownDelaySeconds', 'requestTimeoutSeconds', 'deployTimeoutSeconds', 'env', 'platformOptions'],
  },
  { label: 'Review', description: 'Check and deploy', fields: [] },
] as const;

/** The step that shows a field (env rows included), or null. */
export function stepOfField(field: string): number | null {
  const base = field.startsWith('env.') ? 'env' : field;
  const index = wizardSteps.findIndex((step) => (step.fields as readonly string[]).includes(base));
  return index === -1 ? null : index;
}

/** Platforms whose options have their own fields instead of the JSON box. */
export const OPENAI_COMPATIBLE = 'openai-compatible';

/** Parses the advanced JSON box; an empty box is `{}`. */
export function parsePlatformOptions(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'enter a JSON object, e.g. {"key": "value"}' };
    return { ok: true, value: value as Record<string, unknown> };
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const toNumber = (value: number | string): number | string => (typeof value === 'number' ? value : value.trim() === '' ? value : Number(value));
/** Seconds in the form, milliseconds in the spec; rounding keeps 1.1 s at 1100 ms, not 1100.0000000000002. */
const toMs = (value: number | string): number | string => {
  const seconds = toNumber(value);
  return typeof seconds === 'number' ? Math.round(seconds * 1000) : seconds;
};

/**
 * The create request the fields describe. Nothing is trimmed or coerced silently: what the user typed is
 * what the schema judges (empty optional fields are left out).
 */
export function toSpec(values: WizardValues): CreateDeploymentBody {
  const options = parsePlatformOptions(values.platformOptions);
  const platformOptions: Record<string, unknown> = options.ok ? { ...options.value } : {};
  if (values.platform === OPENAI_COMPATIBLE) {
    platformOptions['baseUrl'] = values.baseUrl;
    if (values.apiKeyEnv !== '') platformOptions['apiKeyEnv'] = values.apiKeyEnv;
  }
  const scaleDown = toNumber(values.scaleDownDelaySeconds);
  const env = envRecordOf(values.env);
  const spec = {
    name: values.name,
    platform: values.platform,
    baseModel: values.baseModel,
    adapter: values.adapterId.trim() === '' ? null : { id: values.adapterId },
    hardware: values.hardware === '' ? null : values.hardware,
    scaling: {
      minReplicas: toNumber(values.minReplicas),
      maxReplicas: toNumber(values.maxReplicas),
      ...(scaleDown === '' ? {} : { scaleDownDelaySeconds: scaleDown }),
    },
    timeouts: { requestMs: toMs(values.requestTimeoutSeconds), deployMs: toMs(values.deployTimeoutSeconds) },
    env,
    platformOptions,
  };
  // The schema below decides whether this is a valid body; until then it is only shaped like one.
  return spec as CreateDeploymentBody;
}

export interface ValidationContext {
  platforms: readonly Platform[];
}

/**
 * The instant checks, made on every keystroke: the server's own schema (DeploymentSpecSchema, imported from
 * the server's core) plus what the schema cannot see: duplicate env names (an object would silently keep
 * one), JSON syntax and an unconfigured platform (the server refuses to deploy on one). Platform rules,
 * model files and taken names are the server's dry run's job (useServerValidation).
 */
export function validateWizard(values: WizardValues, context: ValidationContext): Record<string, string> {
  const errors: Record<string, string> = {};
  const platform = context.platforms.find((item) => item.id === values.platform);
  if (values.platform === '') errors['platform'] = 'choose a platform';
  else if (!platform) errors['platform'] = `platform '${values.platform}' is not available on this server`;
  else if (!platform.configured) errors['platform'] = `${platform.name} is not configured: store ${platform.missingCredentials.join(', ')} below, or set ${platform.missingCredentials.length > 1 ? 'them' : 'it'} in the server environment`;

  const parsed = DeploymentSpecSchema.safeParse(toSpec(values));
  if (!parsed.success) {
    const mapped = mapIssues(parsed.error.issues as readonly SchemaIssue[], { envKeys: values.env.map((row) => row.key) });
    for (const [field, message] of Object.entries(mapped.fields)) errors[field] ??= message;
  }

  // More precise than the schema's message for the same row.
  Object.assign(errors, envRowErrors(values.env));

  const options = parsePlatformOptions(values.platformOptions);
  if (!options.ok) errors['platformOptions'] = options.message;
  return errors;
}

/** Errors of the fields a step shows. */
export function stepErrors(errors: Record<string, string>, step: number): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).filter(([field]) => stepOfField(field) === step));
}

/** "demo/tiny-llama" + "demo/cat" → "tiny-llama-cat"; made unique with -2, -3… */
export function suggestName(baseModel: string, adapterId: string, existing: ReadonlySet<string>): string {
  const lastPart = (value: string) => value.split(/[\\/]/).filter(Boolean).at(-1)?.replace(/\.gguf$/i, '') ?? '';
  const raw = [lastPart(baseModel), lastPart(adapterId)].filter(Boolean).join('-');
  const slug =
    raw
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 56)
      .replace(/-$/, '') || 'my-deployment';
  if (!existing.has(slug)) return slug;
  for (let suffix = 2; ; suffix++) {
    const candidate = `${slug}-${suffix}`;
    if (!existing.has(candidate)) return candidate;
  }
}

const numberOr = (value: unknown, fallback: number | string): number | string => (typeof value === 'number' ? value : fallback);
const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

/** The platform's own defaults (from its catalogue entry): a valid starting point on every platform. */
export function platformDefaults(platform: Platform, current: WizardValues, existingNames: ReadonlySet<string>): WizardValues {
  const defaults = platform.defaults;
  const baseModel = stringOr(defaults['baseModel'], platform.suggestedModels[0]?.id ?? '');
  const adapterId = stringOr(defaults['adapter'], '');
  const hardware = stringOr(defaults['hardware'], platform.hardware[0]?.id ?? '');
  return {
    ...emptyWizardValues,
    env: current.env,
    platform: platform.id,
    baseModel,
    adapterId,
    hardware,
    minReplicas: numberOr(defaults['minReplicas'], emptyWizardValues.minReplicas),
    maxReplicas: numberOr(defaults['maxReplicas'], emptyWizardValues.maxReplicas),
    requestTimeoutSeconds: typeof defaults['requestMs'] === 'number' ? defaults['requestMs'] / 1000 : emptyWizardValues.requestTimeoutSeconds,
    deployTimeoutSeconds: typeof defaults['deployMs'] === 'number' ? defaults['deployMs'] / 1000 : emptyWizardValues.deployTimeoutSeconds,
    name: suggestName(baseModel, adapterId, existingNames),
  };
}

/** Monthly estimate for time-priced hardware: replicas kept running × hours in a month. Null when unknown. */
export function monthlyEstimate(usdPerHour: number | null | undefined, minReplicas: number | string, maxReplicas: number | string): { low: number; high: number } | null {
  if (usdPerHour === null || usdPerHour === undefined) return null;
  const hours = 730;
  const low = Math.max(0, Number(minReplicas) || 0);
  const high = Math.max(low, Number(maxReplicas) || 0);
  return { low: usdPerHour * hours * low, high: usdPerHour * hours * high };
}
