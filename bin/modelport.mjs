#!/usr/bin/env -S node --min-semi-space-size=16 --no-memory-reducer
// The `modelport` executable. The CLI is TypeScript run through tsx, as `npm start` does; main() never
// exits the process itself, so `modelport serve` keeps running and output is flushed before exit. The
// shebang's V8 flags are the server's (src/support/server-node-flags.ts); other commands do not mind them.
const { register } = await import('tsx/esm/api');
register();
const argv = process.argv.slice(2);
// `modelport … | head` closes the pipe early: that ends the output, it is not a failure.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main({ argv, env: process.env, stdout: process.stdout, stderr: process.stderr });
