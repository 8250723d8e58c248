import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenApi } from '../../scripts/openapi.js';

describe('OpenAPI document', () => {
  it('is what the web UI generated its types from (run `npm run generate-api --workspace web` after API changes)', async () => {
    const committed = readFileSync(new URL('../../web/src/api/openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(await renderOpenApi())).toEqual(JSON.parse(committed));
  });

  it('documents every public route with problem responses', async () => {
    const document = JSON.parse(await renderOpenApi()) as { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
    for (const path of ['/api/deployments', '/api/deployments/{id}', '/api/deployments/{id}/deploy', '/api/deployments/{id}/stop', '/api/deployments/{id}/test', '/api/deployments/{id}/metrics', '/api/deployments/{id}/events', '/api/platforms', '/api/tokens', '/api/credentials', '/v1/chat/completions']) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    expect(Object.keys(document.paths['/api/deployments']!['post']!.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '409']));
  });
});
