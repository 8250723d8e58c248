// Writes the server's OpenAPI document to web/src/api/openapi.json, from which the web UI's types are
// generated (`npm run generate-api --workspace web`). A test checks the committed copy is current.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { createModelport } from '../src/main.js';

export async function renderOpenApi(): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-openapi-'));
  const env = { MODELPORT_DATA_DIR: dataDir, MODELPORT_LOG_LEVEL: 'silent' as const };
  const modelport = await createModelport(loadConfig(env), env, { startReconciler: false });
  try {
    await modelport.app.ready();
    return JSON.stringify(modelport.app.swagger(), null, 2) + '\n';
  } finally {
    await modelport.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = new URL('../web/src/api/openapi.json', import.meta.url);
  writeFileSync(target, await renderOpenApi());
  process.stderr.write(`wrote ${path.relative(process.cwd(), target.pathname)}\n`);
}
