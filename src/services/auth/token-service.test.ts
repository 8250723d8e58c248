import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../core/errors/index.js';
import { createStore } from '../../store/create-store.js';
import type { Store } from '../../store/store.js';
import { systemClock } from '../../support/clock.js';
import { createTokenService, type TokenService } from './token-service.js';

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('token service', () => {
  let directory: string;
  let store: Store;
  let tokens: TokenService;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'modelport-tokens-'));
    store = await createStore(join(directory, 'modelport.db'));
    await store.migrate();
    tokens = createTokenService({ store, clock: systemClock, logger, bootstrapAdminToken: 'bootstrap-admin-secret-0123456789' });
    await tokens.refresh();
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('creates invoker tokens with a rate limit, which authentication hands to the gateway', async () => {
    const { token, secret } = await tokens.create({ name: 'app', role: 'invoker', rateLimit: { requestsPerMinute: 30 } });
    expect(token).toMatchObject({ name: 'app', role: 'invoker', rateLimit: { requestsPerMinute: 30 } });
    expect(token).not.toHaveProperty('secretHash');
    expect(tokens.authenticate(secret)).toEqual({ tokenId: token.id, name: 'app', role: 'invoker', rateLimit: { requestsPerMinute: 30 } });
    expect(tokens.authenticate('bootstrap-admin-secret-0123456789')).toEqual({ tokenId: null, name: 'bootstrap-admin', role: 'admin', rateLimit: null });
    expect((await tokens.create({ name: 'ci', role: 'deployer' })).token.rateLimit).toBeNull();
    await expect(tokens.create({ name: 'x', role: 'invoker', rateLimit: { requestsPerMinute: 0 } })).rejects.toBeInstanceOf(ValidationError);
    await expect(tokens.create({ name: 'x', role: 'root' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('changes and clears a rate limit; authentication sees the change at once', async () => {
    const { token, secret } = await tokens.create({ name: 'app', role: 'invoker' });
    expect(await tokens.update(token.id, { rateLimit: { requestsPerMinute: 5 } })).toMatchObject({ id: token.id, rateLimit: { requestsPerMinute: 5 } });
    expect(tokens.authenticate(secret)?.rateLimit).toEqual({ requestsPerMinute: 5 });
    expect((await tokens.update(token.id, { rateLimit: null })).rateLimit).toBeNull();
    expect(tokens.authenticate(secret)?.rateLimit).toBeNull();
    // Nothing to change is no change.
    expect((await tokens.update(token.id, {})).rateLimit).toBeNull();
    await expect(tokens.update('nope', { rateLimit: null })).rejects.toBeInstanceOf(NotFoundError);
    await expect(tokens.update(token.id, { role: 'admin' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('knows which names belong to live tokens', async () => {
    const { token } = await tokens.create({ name: 'app', role: 'invoker' });
    expect(await tokens.hasActiveToken('app')).toBe(true);
    expect(await tokens.hasActiveToken('other')).toBe(false);
    await tokens.revoke(token.id);
    expect(await tokens.hasActiveToken('app')).toBe(false);
  });
});
