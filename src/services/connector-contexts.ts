import type { DeploymentSpec } from '../core/deployment-spec.js';
import type { PlatformId } from '../core/platform-id.js';
import type { Clock, ConnectorContext, Logger } from '../platforms/connector.js';
import type { PlatformRegistry } from '../platforms/registry.js';
import { isUserNamedCredential, optionalCredentials, type CredentialSource } from './credentials.js';

/** Builds the ConnectorContext every connector call gets: the one place credentials and settings meet. */
export interface ConnectorContexts {
  create(deploymentId: string, spec: DeploymentSpec, signal: AbortSignal): ConnectorContext;
  /** Required credentials the platform has no value for. Empty when it is configured. */
  missingCredentials(platform: PlatformId): string[];
}

export function createConnectorContexts(deps: {
  registry: PlatformRegistry;
  credentials: CredentialSource;
  settings: (platform: PlatformId) => Record<string, string>;
  /** The fetch a platform's connector gets (platforms that call user-supplied URLs get a guarded one). */
  fetchFor: (platform: PlatformId) => typeof fetch;
  clock: Clock;
  logger: Logger;
}): ConnectorContexts {
  const platformCredentials = new Set(deps.registry.list().flatMap((connector) => connector.info.requiredCredentials));
  const credentialNames = (spec: DeploymentSpec): string[] => {
    const connector = deps.registry.get(spec.platform);
    const named = spec.platformOptions['apiKeyEnv'];
    return [
      ...connector.info.requiredCredentials,
      ...(optionalCredentials[spec.platform] ?? []),
      ...(typeof named === 'string' && isUserNamedCredential(named, platformCredentials) ? [named] : []),
    ];
  };
  return {
    create(deploymentId, spec, signal) {
      return {
        deploymentId,
        fetch: deps.fetchFor(spec.platform),
        clock: deps.clock,
        logger: deps.logger,
        credentials: deps.credentials.resolve(credentialNames(spec)),
        settings: deps.settings(spec.platform),
        signal,
      };
    },
    missingCredentials(platform) {
      const required = deps.registry.get(platform).info.requiredCredentials;
      const present = deps.credentials.resolve(required);
      return required.filter((name) => !(name in present));
    },
  };
}
