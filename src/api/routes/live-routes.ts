import type { FastifyPluginAsync } from 'fastify';
import { toDeploymentView } from '../deployment-view.js';
import { openEventStream } from '../sse.js';
import type { ApiServices } from '../app.js';

/** `/api/events/stream`: live deployment changes as server-sent events, for the dashboard. */
export function liveRoutes(services: ApiServices): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/events/stream',
      { schema: { tags: ['deployments'], summary: 'Server-sent events: `deployment` {deployment view} and `deployment-deleted` {id} as they happen' } },
      async (_request, reply) => {
        const stream = openEventStream(reply, { endless: true });
        stream.send('ready', {});
        const unsubscribe = services.feed.subscribe((change) => {
          if (change.type === 'deployment-changed') stream.send('deployment', toDeploymentView(change.deployment));
          else stream.send('deployment-deleted', { id: change.id });
        });
        stream.signal.addEventListener('abort', unsubscribe, { once: true });
      },
    );
  };
}
