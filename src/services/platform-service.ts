import type { PlatformRegistry } from '../platforms/registry.js';
import type { ConnectorContexts } from './connector-contexts.js';

/** The platform catalogue as the wizard and `/api/platforms` show it. */
export function createPlatformService(deps: { registry: PlatformRegistry; contexts: ConnectorContexts }) {
  return {
    list() {
      return deps.registry.list().map((connector) => {
        const missing = deps.contexts.missingCredentials(connector.id);
        return {
          id: connector.id,
          name: connector.info.displayName,
          description: connector.info.description,
          features: connector.info.features,
          configured: missing.length === 0,
          missingCredentials: missing,
          capabilities: connector.capabilities,
          defaults: connector.info.defaults,
          hardware: connector.info.hardware,
          suggestedModels: connector.info.suggestedModels,
          pricing: connector.info.pricing,
          docsUrl: connector.info.docsUrl,
        };
      });
    },
  };
}

export type PlatformService = ReturnType<typeof createPlatformService>;
