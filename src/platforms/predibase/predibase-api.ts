import { z } from 'zod';

/**
 * Predibase control-plane bodies (shared/contracts/predibase.md §1–2). Responses are parsed loosely:
 * extra fields never crash, and where the contract is UNCONFIRMED both shapes are accepted (wrapped in
 * `{data}` or bare; `shortCode` or `short_code`). Request bodies are typed, not parsed: we write them.
 */

/** `DeploymentConfigWire`: what `POST /v2/deployments` carries under `config`. camelCase on the wire. */
export interface PredibaseDeploymentConfig {
  baseModel: string;
  accelerator?: string;
  quantization?: 'none' | 'fp8' | 'bitsandbytes-nf4';
  minReplicas?: number;
  maxReplicas?: number;
  /** The SDK calls it `scale_up_threshold`; the wire key is `scaleUpRequestThreshold`. */
  scaleUpRequestThreshold?: number;
  /** Seconds idle before scaling down. */
  cooldownTime?: number;
  usesGuaranteedCapacity?: boolean;
  maxTotalTokens?: number;
  requestLoggingEnabled?: boolean;
  preloadedAdapters?: string[];
  speculator?: string;
  prefixCaching?: boolean;
  customArgs?: string[];
}

/** `POST /v2/deployments`. */
export interface PredibaseCreateDeploymentBody {
  name: string;
  config: PredibaseDeploymentConfig;
  description: string;
}

/** `UpdateDeploymentConfigWire`: same keys, all optional; the accelerator cannot change. */
export type PredibaseUpdateConfig = Partial<Omit<PredibaseDeploymentConfig, 'accelerator' | 'baseModel' | 'quantization'>>;

/** `PUT /v2/deployments/{name}`: only the keys being changed. */
export interface PredibaseUpdateDeploymentBody {
  config?: PredibaseUpdateConfig;
  description?: string;
}

const optionalNumber = z.number().nullish();

/** The replica settings, found under `config` (newer API) or at the top level (older SDK model). */
const ScalingFieldsSchema = z.looseObject({
  minReplicas: optionalNumber,
  maxReplicas: optionalNumber,
  cooldownTime: optionalNumber,
  scaleUpRequestThreshold: optionalNumber,
});

/** `DeploymentWire`: a deployment as `GET /v2/deployments/{name}` describes it. */
export const PredibaseDeploymentSchema = ScalingFieldsSchema.extend({
  name: z.string(),
  uuid: z.string().nullish(),
  description: z.string().nullish(),
  type: z.string().nullish(),
  status: z.string().nullish(),
  model: z.looseObject({ name: z.string().nullish(), maxInputLength: optionalNumber }).nullish(),
  accelerator: z.looseObject({ id: z.string().nullish() }).nullish(),
  quantization: z.string().nullish(),
  currentReplicas: optionalNumber,
  config: ScalingFieldsSchema.extend({ baseModel: z.string().nullish() }).nullish(),
  /** Where Predibase explains a failure, when it does (field name UNCONFIRMED: any of these). */
  errorText: z.string().nullish(),
  errorMessage: z.string().nullish(),
  statusMessage: z.string().nullish(),
});
export type PredibaseDeployment = z.infer<typeof PredibaseDeploymentSchema>;

/** Unwraps `{data: X}`; passes a bare X through (the create/update answers' shape is UNCONFIRMED). */
function unwrapData(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'data' in value) return (value as { data: unknown }).data;
  return value;
}

export const PredibaseDeploymentEnvelopeSchema = z.preprocess(unwrapData, PredibaseDeploymentSchema);

/** The parts of `GET /v[12]/users/current` we read: the tenant short code used in serving URLs. */
export const PredibaseCurrentUserSchema = z.preprocess(
  unwrapData,
  z
    .looseObject({
      tenant: z
        .looseObject({ shortCode: z.string().min(1).nullish(), short_code: z.string().min(1).nullish() })
        .nullish(),
    })
    .transform((user) => ({ tenantShortCode: user.tenant?.shortCode ?? user.tenant?.short_code ?? null })),
);

/** The failure text Predibase attached to a deployment, if any. */
export function deploymentErrorText(deployment: PredibaseDeployment): string | undefined {
  const text = deployment.errorText ?? deployment.errorMessage ?? deployment.statusMessage;
  return text === null || text === undefined || text.trim() === '' ? undefined : text.trim();
}
