import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlatformNotConfiguredError, ValidationError } from '../../core/errors/index.js';
import { createTestContext } from '../contract/test-context.js';
import { modalProxyHeaders, modalSettings, modalToken } from './modal-settings.js';

describe('modalSettings', () => {
  it('defaults to modal on PATH and an app folder in the data directory', () => {
    expect(modalSettings({})).toEqual({
      cli: 'modal',
      appDir: path.resolve('data', 'modal-apps'),
      environment: null,
      deployTimeoutMs: null,
      cliTimeoutMs: 120_000,
      healthTimeoutMs: 10_000,
    });
    expect(modalSettings({ dataDir: '/srv/modelport' }).appDir).toBe(path.resolve('/srv/modelport', 'modal-apps'));
    expect(modalSettings({ dataDir: '/srv/modelport', appDir: '/opt/apps' }).appDir).toBe(path.resolve('/opt/apps'));
    expect(modalSettings({ cli: '/usr/local/bin/modal' }).cli).toBe('/usr/local/bin/modal');
    expect(modalSettings({ modalCli: '/venv/bin/modal', cli: 'ignored' }).cli).toBe('/venv/bin/modal');
  });

  it('refuses malformed values, naming the setting', () => {
    expect(() => modalSettings({ healthTimeoutMs: 'soon' })).toThrow(ValidationError);
    expect(() => modalSettings({ deployTimeoutMs: '-5' })).toThrow(/deployTimeoutMs/);
    expect(() => modalSettings({ environment: 'prod; rm -rf /' })).toThrow(/environment/);
  });
});

describe('credentials', () => {
  it('names what is missing', () => {
    expect(() => modalToken(createTestContext({ credentials: {} }))).toThrow(PlatformNotConfiguredError);
    expect(() => modalToken(createTestContext({ credentials: { MODAL_TOKEN_ID: 'ak-1' } }))).toThrow(/MODAL_TOKEN_SECRET/);
    expect(modalToken(createTestContext({ credentials: { MODAL_TOKEN_ID: 'ak-1', MODAL_TOKEN_SECRET: 'as-2' } }))).toEqual({
      tokenId: 'ak-1',
      tokenSecret: 'as-2',
    });
    expect(() => modalProxyHeaders(createTestContext({ credentials: {} }))).toThrow(/MODAL_PROXY_TOKEN_ID, MODAL_PROXY_TOKEN_SECRET/);
  });
});
