#!/usr/bin/env node
// The `modelport` executable. The CLI is TypeScript run through tsx, as `npm start` does; main() never
// exits the process itself, so `modelport serve` keeps running and output is flushed before exit.
import { fileURLToPath } from 'node:url';

const { register } = await import('tsx/esm/api');
register();
const argv = process.argv.slice(2);
// `modelport … | head` closes the pipe early: that ends the output, it is not a failure.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
// `serve` runs the server with its V8 flags (src/support/server-node-flags.ts), in a child if need be.
const { relaunchWithServerFlags } = await import('../src/support/server-node-flags.ts');
if (argv[0] !== 'serve' || !relaunchWithServerFlags(fileURLToPath(import.meta.url), argv)) {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main({ argv, env: process.env, stdout: process.stdout, stderr: process.stderr });
}
