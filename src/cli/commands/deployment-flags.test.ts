import { describe, expect, it } from 'vitest';
import { normalizeBaseUrl } from '../client.js';
import { changesFromFlags, specFromFlags } from './deployment-flags.js';

const current = {
  scaling: { minReplicas: 1, maxReplicas: 2 },
  timeouts: { requestMs: 10_000, deployMs: 900_000 },
  env: { KEEP: '1', DROP: '2' },
  platformOptions: { baseUrl: 'http://a', pricing: { inputPerMillion: 1, outputPerMillion: 2 } },
};

describe('deployment flags', () => {
  it('merges partial scaling, timeouts, env and options over the current configuration', () => {
    expect(
      changesFromFlags({ maxReplicas: 3, requestTimeoutMs: 20_000, env: ['NEW=x'], unsetEnv: ['DROP'], option: ['pricing.outputPerMillion=4'] }, current),
    ).toEqual({
      scaling: { minReplicas: 1, maxReplicas: 3 },
      timeouts: { requestMs: 20_000, deployMs: 900_000 },
      env: { KEEP: '1', NEW: 'x' },
      platformOptions: { baseUrl: 'http://a', pricing: { inputPerMillion: 1, outputPerMillion: 4 } },
    });
  });

  it('sends nothing for flags not given, null for --no-adapter', () => {
    expect(changesFromFlags({}, current)).toEqual({});
    expect(changesFromFlags({ adapter: false }, current)).toEqual({ adapter: null });
    expect(changesFromFlags({ adapter: 'demo/dog', adapterScale: 0.5 }, current)).toEqual({ adapter: { id: 'demo/dog', scale: 0.5 } });
    expect(() => changesFromFlags({ adapterScale: 0.5 }, current)).toThrow(/--adapter-scale needs --adapter/);
  });

  it('lays flags over a spec file', () => {
    expect(specFromFlags({ name: 'b', maxReplicas: 1, env: ['A=1'] }, { name: 'a', platform: 'local', baseModel: 'm', scaling: { minReplicas: 0 } })).toEqual({
      name: 'b',
      platform: 'local',
      baseModel: 'm',
      scaling: { minReplicas: 0, maxReplicas: 1 },
      env: { A: '1' },
    });
  });

  it('tolerates a server URL with a trailing slash or /api', () => {
    expect(normalizeBaseUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(normalizeBaseUrl('http://host:8080/api/')).toBe('http://host:8080');
  });
});
