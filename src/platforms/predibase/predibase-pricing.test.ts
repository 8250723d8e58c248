import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import { createPredibaseConnector } from './predibase-connector.js';

const connector = createPredibaseConnector();
const spec = (overrides: Partial<DeploymentSpecInput> = {}) =>
  DeploymentSpecSchema.parse({ name: 'bot', platform: 'predibase', baseModel: 'qwen3-8b', hardware: 'a10_24gb_100', ...overrides });

describe('predibase pricing', () => {
  it('private deployments bill GPU time: zero per token, the hourly price the user set', () => {
    expect(connector.tokenPrice(spec())).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
    expect(connector.hourlyPrice(spec({ platformOptions: { predibase: { usdPerReplicaHour: 2.5 } } }))).toBe(2.5);
  });

  it('an accelerator without a confirmed price is unpriced, never $0', () => {
    expect(connector.hourlyPrice(spec())).toBeNull();
    expect(connector.hourlyPrice(spec({ hardware: null }))).toBeNull();
  });

  it('shared endpoints bill tokens: unpriced unless the user sets a price; no hourly cost', () => {
    const shared = spec({ hardware: null, platformOptions: { predibase: { mode: 'shared' } } });
    expect(connector.tokenPrice(shared)).toBeNull();
    expect(connector.hourlyPrice(shared)).toBeNull();
    const priced = spec({ hardware: null, platformOptions: { predibase: { mode: 'shared', usdPerMillionTokens: { input: 0.2, output: 0.4 } } } });
    expect(connector.tokenPrice(priced)).toEqual({ inputPerMillion: 0.2, outputPerMillion: 0.4 });
  });

  it('an invalid options block prices nothing rather than throwing', () => {
    const broken = spec({ platformOptions: { predibase: { mode: 'dedicated' } } });
    expect(connector.tokenPrice(broken)).toBeNull();
    expect(connector.hourlyPrice(broken)).toBeNull();
  });

  it('describes itself for the wizard with its credential, hardware and price source', () => {
    expect(connector.info.requiredCredentials).toEqual(['PREDIBASE_API_TOKEN']);
    expect(connector.info.hardware.map((option) => option.id)).toContain('a10_24gb_100');
    expect(connector.info.pricing.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(connector.capabilities).toEqual({ adapterMode: 'per-request', scaleToZero: true, streaming: true });
  });
});
