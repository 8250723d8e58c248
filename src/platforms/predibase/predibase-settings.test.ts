import { describe, expect, it } from 'vitest';
import { createTestContext } from '../contract/test-context.js';
import { PlatformNotConfiguredError, ValidationError } from '../../core/errors/index.js';
import { predibaseDeploymentName } from './predibase-names.js';
import { deploymentOpenAIBase, derivedServingUrl, predibaseSettings, predibaseToken } from './predibase-settings.js';
import { createTenantCache } from './predibase-tenant.js';

describe('predibase settings', () => {
  it('defaults to the real gateway and derives the serving host the way the SDK does', () => {
    const settings = predibaseSettings(createTestContext());
    expect(settings.baseUrl).toBe('https://api.app.predibase.com');
    expect(settings.servingUrl).toBe('https://serving.app.predibase.com');
    expect(settings.tenant).toBeUndefined();
  });

  it('strips a /v1 or /v2 suffix from the gateway, and follows a custom gateway host', () => {
    const settings = predibaseSettings(createTestContext({ settings: { baseUrl: 'https://api.staging.predibase.com/v2/' } }));
    expect(settings.baseUrl).toBe('https://api.staging.predibase.com');
    expect(settings.servingUrl).toBe('https://serving.staging.predibase.com');
  });

  it('uses the gateway itself as serving URL when it is an address with no sibling host', () => {
    expect(derivedServingUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(derivedServingUrl('http://localhost:8080')).toBe('http://localhost:8080');
  });

  it('takes explicit serving URL and tenant overrides', () => {
    const settings = predibaseSettings(createTestContext({ settings: { servingUrl: 'http://127.0.0.1:9/', tenant: ' abc123 ' } }));
    expect(settings.servingUrl).toBe('http://127.0.0.1:9');
    expect(settings.tenant).toBe('abc123');
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() => predibaseSettings(createTestContext({ settings: { baseUrl: 'file:///etc/passwd' } }))).toThrow(ValidationError);
  });

  it('builds the OpenAI base of a deployment under the serving URL', () => {
    expect(deploymentOpenAIBase('https://serving.app.predibase.com', 'a1b2', 'mp-x')).toBe(
      'https://serving.app.predibase.com/a1b2/deployments/v2/llms/mp-x/v1',
    );
  });

  it('requires the token by name', () => {
    expect(() => predibaseToken(createTestContext())).toThrow(PlatformNotConfiguredError);
    expect(predibaseToken(createTestContext({ credentials: { PREDIBASE_API_TOKEN: 'pb_x' } }))).toBe('pb_x');
  });
});

describe('predibaseDeploymentName', () => {
  it('is stable, URL-safe and distinct for ids sharing a prefix', () => {
    const id = '01JZ8Q6W7K3M2N4P5R6S7T8V9W';
    expect(predibaseDeploymentName(id)).toBe(predibaseDeploymentName(id));
    expect(predibaseDeploymentName(id)).toMatch(/^mp-[a-z0-9]{12}-[0-9a-f]{8}$/);
    expect(predibaseDeploymentName(id)).not.toBe(predibaseDeploymentName(`${id.slice(0, -1)}X`));
    expect(predibaseDeploymentName('___')).toMatch(/^mp-[0-9a-f]{8}$/);
  });
});

describe('tenant cache', () => {
  it('looks up once per token, shares a lookup in flight, and forgets failures', async () => {
    const cache = createTenantCache();
    let calls = 0;
    const lookup = async () => {
      calls += 1;
      return 't1';
    };
    const [a, b] = await Promise.all([cache.resolve('u', 'token-a', lookup), cache.resolve('u', 'token-a', lookup)]);
    expect([a, b, calls]).toEqual(['t1', 't1', 1]);
    await cache.resolve('u', 'token-b', lookup);
    expect(calls).toBe(2);
    await expect(cache.resolve('u', 'token-c', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.resolve('u', 'token-c', lookup)).toBe('t1');
  });
});
