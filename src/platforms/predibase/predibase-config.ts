import { adaptersOf, type DeploymentSpec } from '../../core/deployment-spec.js';
import type { PredibaseDeploymentConfig, PredibaseUpdateConfig } from './predibase-api.js';
import type { PredibaseOptions } from './predibase-options.js';

/**
 * Translates a spec into Predibase's camelCase deployment config. Only what the user set is sent, so
 * Predibase's own defaults (cooldown 3600 s, threshold 1, its accelerator choice) apply otherwise.
 */

/** The settings an update may change: everything but identity (base model) and hardware. */
export function updatableConfig(spec: DeploymentSpec, options: PredibaseOptions): PredibaseUpdateConfig {
  const preloaded = options.preloadAdapters ? adaptersOf(spec).map((adapter) => adapter.id) : undefined;
  return {
    minReplicas: spec.scaling.minReplicas,
    maxReplicas: spec.scaling.maxReplicas,
    ...(spec.scaling.scaleDownDelaySeconds === undefined ? {} : { cooldownTime: spec.scaling.scaleDownDelaySeconds }),
    ...(options.scaleUpThreshold === undefined ? {} : { scaleUpRequestThreshold: options.scaleUpThreshold }),
    ...(options.usesGuaranteedCapacity === undefined ? {} : { usesGuaranteedCapacity: options.usesGuaranteedCapacity }),
    ...(options.maxTotalTokens === undefined ? {} : { maxTotalTokens: options.maxTotalTokens }),
    ...(options.requestLoggingEnabled === undefined ? {} : { requestLoggingEnabled: options.requestLoggingEnabled }),
    ...(preloaded === undefined || preloaded.length === 0 ? {} : { preloadedAdapters: preloaded }),
    ...(options.speculator === undefined ? {} : { speculator: options.speculator }),
    ...(options.prefixCaching === undefined ? {} : { prefixCaching: options.prefixCaching }),
    ...(options.customArgs === undefined ? {} : { customArgs: options.customArgs }),
  };
}

/** The full config for `POST /v2/deployments`. */
export function deploymentConfig(spec: DeploymentSpec, options: PredibaseOptions): PredibaseDeploymentConfig {
  return {
    baseModel: spec.baseModel,
    ...(spec.hardware === null ? {} : { accelerator: spec.hardware }),
    ...(options.quantization === undefined ? {} : { quantization: options.quantization }),
    ...updatableConfig(spec, options),
  };
}
