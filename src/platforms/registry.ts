import { NotFoundError } from '../core/errors/index.js';
import type { PlatformId } from '../core/platform-id.js';
import type { PlatformConnector } from './connector.js';

/** The connectors this process serves, by id. Built once in main.ts. */
export interface PlatformRegistry {
  get(id: PlatformId): PlatformConnector;
  has(id: PlatformId): boolean;
  list(): PlatformConnector[];
}

export function createPlatformRegistry(connectors: PlatformConnector[]): PlatformRegistry {
  const byId = new Map(connectors.map((connector) => [connector.id, connector]));
  return {
    get(id) {
      const connector = byId.get(id);
      if (!connector) throw new NotFoundError('platform', id);
      return connector;
    },
    has: (id) => byId.has(id),
    list: () => [...byId.values()],
  };
}
