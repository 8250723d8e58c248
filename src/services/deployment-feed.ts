import { EventEmitter } from 'node:events';
import type { Deployment } from '../core/deployment.js';

/**
 * In-process fan-out of deployment changes to live listeners (the SSE stream). Changes made by other
 * replicas are not seen here; the UI's polling fallback covers that case.
 */
export interface DeploymentFeed {
  publish(change: DeploymentChange): void;
  subscribe(listener: (change: DeploymentChange) => void): () => void;
}

export type DeploymentChange = { type: 'deployment-changed'; deployment: Deployment } | { type: 'deployment-deleted'; id: string };

export function createDeploymentFeed(): DeploymentFeed {
  const emitter = new EventEmitter();
  // One listener per open browser tab; the default cap of 10 would warn spuriously.
  emitter.setMaxListeners(0);
  return {
    publish: (change) => emitter.emit('change', change),
    subscribe(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
  };
}
