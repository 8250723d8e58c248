import { describe, expect, it } from 'vitest';
import { DeploymentSpecSchema } from '../../core/deployment-spec.js';
import { isTrustedStreamUrl } from './replicate-client.js';
import { createReplicateConnector } from './replicate-connector.js';
import { replicateHardwareOptions, replicateHardwarePrices, replicateUsdPerHour } from './replicate-pricing.js';
import { releaseKeyOf, replicateDeploymentName } from './replicate-ref.js';

const connector = createReplicateConnector();
const spec = (hardware: string | null) =>
  DeploymentSpecSchema.parse({ name: 'bot', platform: 'replicate', baseModel: `acme/llm:${'a'.repeat(64)}`, hardware });

describe('replicate pricing', () => {
  it('prices hardware per instance-hour from the per-second catalogue', () => {
    expect(replicateUsdPerHour('gpu-t4')).toBe(0.81);
    expect(replicateUsdPerHour('gpu-l40s')).toBe(3.51);
    expect(replicateUsdPerHour('gpu-a100-large-8x')).toBe(40.32);
    expect(connector.hourlyPrice(spec('gpu-a40-small'))).toBe(2.07);
    expect(connector.hourlyPrice(spec(null))).toBe(3.51);
  });

  it('leaves unknown SKUs unpriced, never $0', () => {
    expect(connector.hourlyPrice(spec('gpu-b200'))).toBeNull();
  });

  it('charges requests $0 themselves: instance time is the cost, billed through hourlyPrice', () => {
    expect(connector.tokenPrice(spec('gpu-t4'))).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
    expect(connector.tokenPrice(spec('gpu-b200'))).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
  });

  it('has one entry per SKU, each with a positive price, and offers them to the wizard', () => {
    const skus = replicateHardwarePrices.map((price) => price.sku);
    expect(new Set(skus).size).toBe(skus.length);
    expect(replicateHardwarePrices.every((price) => price.usdPerSecond > 0)).toBe(true);
    expect(replicateHardwareOptions().map((option) => option.id)).toEqual(skus);
    expect(connector.info.pricing).toMatchObject({ model: 'per-gpu-second', asOf: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) as unknown });
    expect(connector.info.hardware.some((option) => option.id === connector.info.defaults.hardware)).toBe(true);
  });
});

describe('replicate naming and references', () => {
  it('derives a stable, DNS-safe deployment name from the deployment id', () => {
    expect(replicateDeploymentName('dep-1')).toBe(replicateDeploymentName('dep-1'));
    expect(replicateDeploymentName('dep-1')).not.toBe(replicateDeploymentName('dep-2'));
    expect(replicateDeploymentName('01JABCDEF0000000000000000A')).toMatch(/^mp-[0-9a-f]{12}$/);
    // Time-ordered ids share their prefix; the names must not.
    expect(replicateDeploymentName('01JABCDEF0000000000000000A')).not.toBe(replicateDeploymentName('01JABCDEF0000000000000000B'));
  });

  it('keys warm-ups by release number, or by version and hardware when there is none', () => {
    expect(releaseKeyOf({ number: 4, version: 'v', hardware: 'h' })).toBe('release-4');
    expect(releaseKeyOf({ number: null, version: 'v', hardware: 'h' })).toBe('v/h');
  });

  it('sends the token only to the API origin or Replicate hosts over https', () => {
    const base = 'https://api.replicate.com/v1';
    expect(isTrustedStreamUrl('https://streaming.api.replicate.com/v1/predictions/x', base)).toBe(true);
    expect(isTrustedStreamUrl('https://api.replicate.com/v1/predictions/x', base)).toBe(true);
    expect(isTrustedStreamUrl('http://streaming.api.replicate.com/v1/predictions/x', base)).toBe(false);
    expect(isTrustedStreamUrl('https://replicate.com.evil.example/x', base)).toBe(false);
    expect(isTrustedStreamUrl('https://169.254.169.254/latest', base)).toBe(false);
    expect(isTrustedStreamUrl('not a url', base)).toBe(false);
    expect(isTrustedStreamUrl('http://127.0.0.1:4000/streaming/x', 'http://127.0.0.1:4000/v1')).toBe(true);
  });
});
