import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler } from 'fastify-type-provider-zod';
import { existsSync } from 'node:fs';
import type { CompletionFront } from '../gateway/completion-front.js';
import type { Logger } from '../platforms/connector.js';
import type { TokenService } from '../services/auth/token-service.js';
import type { CredentialService } from '../services/credential-service.js';
import type { DeploymentFeed } from '../services/deployment-feed.js';
import type { DeploymentService } from '../services/deployment-service.js';
import type { EndpointTestService } from '../services/endpoint-test-service.js';
import type { InvocationService } from '../services/invocation-service.js';
import type { createMetricsService } from '../services/metrics-service.js';
import type { PlatformService } from '../services/platform-service.js';
import { registerAuth } from './auth.js';
import { createErrorHandler, frameworkErrorHandler } from './problem.js';
import { endEndlessStreams } from './sse.js';
import { credentialRoutes } from './routes/credential-routes.js';
import { deploymentRoutes } from './routes/deployment-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { liveRoutes } from './routes/live-routes.js';
import { platformRoutes } from './routes/platform-routes.js';
import { tokenRoutes } from './routes/token-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the request arrived (0 where buildApp's hook did not run). */
    receivedAt: number;
  }
}

export interface ApiServices {
  deployments: DeploymentService;
  tests: EndpointTestService;
  metrics: ReturnType<typeof createMetricsService>;
  platforms: PlatformService;
  credentials: CredentialService;
  tokens: TokenService;
  invocations: InvocationService;
  /** The gateway's plugins: `/v1`, `/api/routes` and `/api/budgets`, `/metrics`. */
  gatewayPlugins: FastifyPluginAsync[];
  feed: DeploymentFeed;
  ping: () => Promise<void>;
  logger: Logger;
  maxPromptChars: number;
  /** Serves the gateway's completion requests off the socket and hands the rest to this app; none = Fastify serves all. */
  completionFront?: CompletionFront | undefined;
  /** Folder with the web UI's production build, served at `/`. */
  webDir?: string | undefined;
  version: string;
}

/** Large enough for long prompts, small enough that a runaway body is refused before parsing. */
export const BODY_LIMIT = 1024 * 1024;

/** Builds the whole HTTP surface. Tests call this and use `app.inject()`; main.ts adds listen(). */
export async function buildApp(services: ApiServices): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Connections are closed by the drain logic below, not at the first moment of close.
    forceCloseConnections: false,
    // Deployment ids are UUIDs and names DNS labels, but the API accepts references up to 200 characters.
    routerOptions: { maxParamLength: 256 },
    // A request already on its way when shutdown starts is served; new connections are refused.
    return503OnClosing: false,
    // Errors raised before routing (bad percent-encoding, …) get problem+json like everything else.
    frameworkErrors: frameworkErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; serialization stays plain JSON so a documented field never drops data.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(createErrorHandler(services.logger));
  // Graceful close: requests in flight (streams included) finish; once none is left, every remaining
  // keep-alive socket is closed. Node's own idle sweep at close time cannot tell a request waiting for
  // its answer from an idle socket, and hand-written responses (gateway, SSE) keep theirs open after.
  let closing = false;
  let inFlight = 0;
  const closeWhenDrained = () => {
    if (closing && inFlight === 0) app.server.closeAllConnections();
  };
  // A response emits 'close' exactly once, after it finished or when its connection went away first.
  const settle = () => {
    inFlight--;
    closeWhenDrained();
  };
  // One hook for what every request needs on arrival: when it came (the gateway's overhead header) and
  // the in-flight count.
  app.decorateRequest('receivedAt', 0);
  app.addHook('onRequest', (request, reply, done) => {
    request.receivedAt = performance.now();
    inFlight++;
    reply.raw.on('close', settle);
    done();
  });
  services.completionFront?.attach(app.server);
  app.addHook('preClose', async () => {
    closing = true;
    services.completionFront?.drain();
    endEndlessStreams();
    closeWhenDrained();
  });
  let webShell = false;
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    // Client-side routes (/deployments/…, /new) load the app shell; API paths and missing files are 404s.
    if (webShell && request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/v1/') && !/\.[a-z0-9]+$/i.test(path)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply.status(404).type('application/problem+json').send({
      type: 'https://modelport.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: `no route for ${request.method} ${path}`,
      code: 'not_found',
    });
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'modelport',
        version: services.version,
        description: 'Deploy, test, meter and pay for fine-tuned LLMs and LoRA adapters on any platform.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (modelport token create)' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'deployments' },
        { name: 'testing' },
        { name: 'metrics' },
        { name: 'platforms' },
        { name: 'credentials', description: 'Write-only provider credentials, encrypted at rest' },
        { name: 'tokens', description: 'API tokens with roles: admin, deployer, viewer' },
        { name: 'gateway', description: 'OpenAI-compatible: model = deployment name, or name:adapter' },
        { name: 'health' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  registerAuth(app, services.tokens);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes(services));
  await app.register(platformRoutes(services));
  await app.register(credentialRoutes(services));
  await app.register(tokenRoutes(services));
  await app.register(deploymentRoutes(services));
  await app.register(liveRoutes(services));
  for (const plugin of services.gatewayPlugins) await app.register(plugin);

  if (services.webDir && existsSync(services.webDir)) {
    // Files are looked up per request (wildcard), so a rebuilt UI is served without a restart.
    await app.register(fastifyStatic, { root: services.webDir, prefix: '/' });
    webShell = true;
  }
  return app;
}
