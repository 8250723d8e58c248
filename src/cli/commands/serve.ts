import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { parseInteger } from '../options.js';
import { withExamples } from './command-kit.js';

/**
 * `modelport serve`: runs the server in this process (API, gateway, web UI, reconciler). The server
 * code is loaded only here, so the client commands start fast.
 */
export function registerServeCommand(program: Command, io: CliIo): void {
  withExamples(
    program
      .command('serve')
      .description('start the modelport server (REST API, OpenAI-compatible gateway, web UI) in this process')
      .option('-p, --port <port>', 'HTTP port (env PORT, default 8080)', parseInteger)
      .option('--host <address>', 'address to bind (env HOST, default 127.0.0.1)')
      .option('--data-dir <dir>', 'data folder (env MODELPORT_DATA_DIR, default ./data)'),
    ['modelport serve', 'modelport serve --port 9090 --data-dir /var/lib/modelport', 'DATABASE_URL=postgres://modelport@db/modelport modelport serve --host 0.0.0.0'],
  ).action(async (options: { port?: number; host?: string; dataDir?: string }) => {
    const env = {
      ...io.env,
      ...(options.port === undefined ? {} : { PORT: String(options.port) }),
      ...(options.host === undefined ? {} : { HOST: options.host }),
      ...(options.dataDir === undefined ? {} : { MODELPORT_DATA_DIR: options.dataDir }),
    };
    const serve = io.serve ?? (await import('../../serve.js')).serve;
    await serve(env);
  });
}
