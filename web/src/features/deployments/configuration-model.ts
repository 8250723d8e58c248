import type { Deployment, Platform, UpdateDeploymentBody } from '../../api/types';
import { DeploymentChangesSchema } from '../../lib/core-schemas';
import { envRecordOf, envRowErrors, envRowsOf, type EnvRow } from '../../lib/env-rows';
import { mapIssues, type SchemaIssue } from '../../lib/spec-issues';

/** What the configuration form's fields hold. Numbers are '' while empty (Mantine's NumberInput). */
export interface ConfigurationValues {
  minReplicas: number | string;
  maxReplicas: number | string;
  scaleDownDelaySeconds: number | string;
  hardware: string;
  requestTimeoutSeconds: number | string;
  /** The default adapter's id; '' for none. */
  adapterId: string;
  env: EnvRow[];
}

export function valuesOf(deployment: Deployment): ConfigurationValues {
  const { scaling, hardware, timeouts, adapter, env } = deployment.config;
  return {
    minReplicas: scaling.minReplicas,
    maxReplicas: scaling.maxReplicas,
    scaleDownDelaySeconds: scaling.scaleDownDelaySeconds ?? '',
    hardware: hardware ?? '',
    requestTimeoutSeconds: timeouts.requestMs / 1000,
    adapterId: adapter?.id ?? '',
    env: envRowsOf(env),
  };
}

const asNumber = (value: number | string) => (typeof value === 'number' || value.trim() === '' ? value : Number(value));

const sameRecord = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a)) === JSON.stringify(Object.entries(b));

/** The PATCH body for what changed; empty when nothing did. */
export function changesOf(deployment: Deployment, values: ConfigurationValues): UpdateDeploymentBody {
  const before = valuesOf(deployment);
  const changes: Record<string, unknown> = {};
  if (values.minReplicas !== before.minReplicas || values.maxReplicas !== before.maxReplicas || values.scaleDownDelaySeconds !== before.scaleDownDelaySeconds) {
    const delay = asNumber(values.scaleDownDelaySeconds);
    changes['scaling'] = {
      minReplicas: asNumber(values.minReplicas),
      maxReplicas: asNumber(values.maxReplicas),
      ...(delay === '' ? {} : { scaleDownDelaySeconds: delay }),
    };
  }
  if (values.hardware !== before.hardware) changes['hardware'] = values.hardware === '' ? null : values.hardware;
  if (values.requestTimeoutSeconds !== before.requestTimeoutSeconds) {
    const seconds = asNumber(values.requestTimeoutSeconds);
    changes['timeouts'] = { requestMs: typeof seconds === 'number' ? Math.round(seconds * 1000) : seconds };
  }
  // Only the id is edited here: a new adapter starts without the old one's scale or source.
  if (values.adapterId.trim() !== before.adapterId) changes['adapter'] = values.adapterId.trim() === '' ? null : { id: values.adapterId.trim() };
  const env = envRecordOf(values.env);
  if (!sameRecord(env, deployment.config.env ?? {})) changes['env'] = env;
  return changes as UpdateDeploymentBody;
}

/** Validates a change with the server's own schema, plus the env rows a record cannot represent. */
export function validateChanges(deployment: Deployment, values: ConfigurationValues): Record<string, string> {
  const errors: Record<string, string> = { ...envRowErrors(values.env) };
  const parsed = DeploymentChangesSchema.safeParse(changesOf(deployment, values));
  if (!parsed.success) {
    const mapped = mapIssues(parsed.error.issues as readonly SchemaIssue[], { envKeys: values.env.map((row) => row.key) });
    for (const [field, message] of Object.entries(mapped.fields)) errors[field] ??= message;
  }
  return errors;
}

/** Adapters worth offering: those suggested for this base model, else every adapter the platform suggests. */
export function suggestedAdapters(platform: Platform | undefined, baseModel: string): string[] {
  if (!platform) return [];
  const forModel = platform.suggestedModels.find((model) => model.id === baseModel)?.adapters;
  const all = forModel && forModel.length > 0 ? forModel : platform.suggestedModels.flatMap((model) => model.adapters);
  return [...new Set(all)];
}
