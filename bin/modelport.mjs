#!/usr/bin/env node
// The `modelport` executable. The CLI is TypeScript run through tsx, as `npm start` does; main() never
// exits the process itself, so `modelport serve` keeps running and output is flushed before exit.
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr });
