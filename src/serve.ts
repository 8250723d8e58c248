import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config/config.js';
import { isModelportError } from './core/errors/index.js';
import { createModelport } from './main.js';
import { disposeSharedLlama } from './platforms/local/llama-runtime.js';

/** `modelport serve`: start the server, stop gracefully on SIGTERM/SIGINT. */
export async function serve(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig({
    ...env,
    MODELPORT_WEB_DIR: env['MODELPORT_WEB_DIR'] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist'),
  });
  const modelport = await createModelport(config, env);
  if (!isLoopback(config.HOST) && !modelport.requiresTokens()) {
    await modelport.close();
    throw new Error(
      `refusing to listen on ${config.HOST} without API tokens: anyone on the network could deploy and spend. ` +
        'Create an admin token first (start on 127.0.0.1, then `modelport token create --name admin --role admin`), ' +
        'or set MODELPORT_ADMIN_TOKEN to a long random secret.',
    );
  }
  await modelport.app.listen({ port: config.PORT, host: config.HOST });
  process.stderr.write(`modelport listening on ${config.publicUrl} (database: ${modelport.store.dialect}, data: ${config.dataDir})\n`);

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stderr.write(`${signal}: finishing in-flight requests, flushing metrics…\n`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    modelport
      .close()
      .then(() => disposeSharedLlama())
      .then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  serve().catch((error: unknown) => {
    process.stderr.write(`modelport: ${isModelportError(error) || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
