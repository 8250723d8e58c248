import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiToken, Credential } from '../../../api/types';
import { readApiToken, saveApiToken } from '../../../lib/api-token';
import { localPlatform, togetherPlatform } from '../../../test/fixtures';
import { json, renderRoutes, stubFetch } from '../../../test/render';
import { isThisBrowsersToken } from '../components/api-tokens-section';
import { credentialNameSuggestions } from '../components/credentials-section';
import { SettingsRoute } from './settings-route';

const token = (overrides: Partial<ApiToken> = {}): ApiToken => ({
  id: 'tok-1',
  name: 'ci',
  role: 'deployer',
  prefix: 'mp_abcde',
  createdAt: '2026-01-01T12:00:00.000Z',
  lastUsedAt: null,
  revokedAt: null,
  rateLimit: null,
  ...overrides,
});

const forbidden = () =>
  json({ type: 't', title: 'Forbidden', status: 403, detail: 'a viewer token cannot manage tokens or credentials; ask an admin for an admin token', code: 'forbidden' }, 403);

/** A small in-memory server for the settings endpoints. */
function renderSettings(overrides: Parameters<typeof stubFetch>[0] = {}) {
  let tokens: ApiToken[] = [token(), token({ id: 'tok-3', name: 'support-app', role: 'invoker', rateLimit: { requestsPerMinute: 600 } })];
  let credentials: Credential[] = [
    { name: 'MODAL_TOKEN_ID', source: 'environment', updatedAt: null, usedBy: ['modal'] },
    { name: 'REPLICATE_API_TOKEN', source: 'stored', updatedAt: '2026-01-02T00:00:00.000Z', usedBy: ['replicate'] },
  ];
  const stub = stubFetch({
    'GET /api/platforms': () => json({ items: [localPlatform, togetherPlatform] }),
    'GET /api/tokens': () => json({ items: tokens }),
    'POST /api/tokens': ({ body }) => {
      const { name, role } = body as { name: string; role: ApiToken['role'] };
      const created = token({ id: 'tok-2', name, role, prefix: 'mp_new12' });
      tokens = [...tokens, created];
      return json({ token: created, secret: 'mp_new12-the-whole-secret' }, 201);
    },
    'DELETE /api/tokens/tok-1': () => {
      tokens = tokens.map((item) => (item.id === 'tok-1' ? { ...item, revokedAt: '2026-01-03T00:00:00.000Z' } : item));
      return new Response(null, { status: 204 });
    },
    'GET /api/credentials': () => json({ items: credentials }),
    'PUT /api/credentials/TOGETHER_API_KEY': () => {
      credentials = [...credentials, { name: 'TOGETHER_API_KEY', source: 'stored', updatedAt: '2026-01-04T00:00:00.000Z', usedBy: ['together'] }];
      return new Response(null, { status: 204 });
    },
    'DELETE /api/credentials/REPLICATE_API_TOKEN': () => {
      credentials = credentials.filter((item) => item.name !== 'REPLICATE_API_TOKEN');
      return new Response(null, { status: 204 });
    },
    ...overrides,
  });
  vi.stubGlobal('fetch', stub.fetch);
  renderRoutes([{ path: '/settings', element: <SettingsRoute /> }], { url: '/settings' });
  return stub;
}

afterEach(() => {
  vi.unstubAllGlobals();
  saveApiToken(null);
});

describe('settings: API tokens', () => {
  it('lists tokens with role, rate limit, prefix, last use and status', async () => {
    renderSettings();
    const row = await screen.findByRole('row', { name: /ci/ });
    expect(within(row).getByText('deployer')).toBeTruthy();
    expect(within(row).getByText('unlimited')).toBeTruthy();
    const app = screen.getByRole('row', { name: /support-app/ });
    expect(within(app).getByText('invoker')).toBeTruthy();
    expect(within(app).getByText('600/min')).toBeTruthy();
    expect(within(row).getByText('mp_abcde…')).toBeTruthy();
    expect(within(row).getByText('never')).toBeTruthy();
    expect(within(row).getByText('active')).toBeTruthy();
  });

  it('shows a new secret once, with a copy button and a warning, and a first admin token is adopted by this browser', async () => {
    const stub = renderSettings();
    await screen.findByRole('row', { name: /ci/ });
    fireEvent.change(screen.getByRole('textbox', { name: 'Token name' }), { target: { value: 'laptop' } });
    fireEvent.click(screen.getByRole('radio', { name: 'admin' }));
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    const notice = await screen.findByTestId('created-token');
    expect(within(notice).getByTestId('created-token-secret').textContent).toBe('mp_new12-the-whole-secret');
    expect(within(notice).getByText('Copy it now: you will not see it again.')).toBeTruthy();
    expect(within(notice).getByRole('button', { name: 'Copy the token' })).toBeTruthy();
    expect(stub.calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'laptop', role: 'admin' });
    // The server now requires tokens: without adopting it this page would be locked out.
    expect(readApiToken()).toBe('mp_new12-the-whole-secret');
    expect(within(await screen.findByRole('row', { name: /laptop/ })).getByText('this browser')).toBeTruthy();
    fireEvent.click(within(notice).getByRole('button', { name: 'I have copied it' }));
    await waitFor(() => expect(screen.queryByText('mp_new12-the-whole-secret')).toBeNull());
  });

  it('keeps the browser’s own token when it already has one', async () => {
    saveApiToken('mp_other-secret');
    renderSettings();
    await screen.findByRole('row', { name: /ci/ });
    fireEvent.change(screen.getByRole('textbox', { name: 'Token name' }), { target: { value: 'robot' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    await screen.findByTestId('created-token');
    expect(readApiToken()).toBe('mp_other-secret');
  });

  it('revokes only after confirmation', async () => {
    const stub = renderSettings();
    const row = await screen.findByRole('row', { name: /ci/ });
    fireEvent.click(within(row).getByRole('button', { name: 'Revoke ci' }));
    const dialog = await screen.findByRole('dialog');
    expect(stub.calls.some((call) => call.method === 'DELETE')).toBe(false);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke token' }));
    await waitFor(() => expect(within(screen.getByRole('row', { name: /ci/ })).getByTestId('token-status').textContent).toMatch(/^revoked/));
    expect(stub.calls.filter((call) => call.method === 'DELETE').map((call) => call.url.pathname)).toEqual(['/api/tokens/tok-1']);
  });

  it('explains a 403 (a non-admin token) instead of failing', async () => {
    renderSettings({ 'GET /api/tokens': forbidden, 'GET /api/credentials': forbidden });
    expect(await screen.findByText('Only admins can manage API tokens')).toBeTruthy();
    expect(await screen.findByText('Only admins can manage provider credentials')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Create token' })).toBeNull();
  });

  it('recognises this browser’s token by its prefix', () => {
    expect(isThisBrowsersToken({ prefix: 'mp_abcde' }, 'mp_abcdefgh')).toBe(true);
    expect(isThisBrowsersToken({ prefix: 'mp_abcde' }, 'mp_zzz')).toBe(false);
    expect(isThisBrowsersToken({ prefix: '' }, 'mp_zzz')).toBe(false);
    expect(isThisBrowsersToken({ prefix: 'mp_abcde' }, null)).toBe(false);
  });
});

describe('settings: provider credentials', () => {
  it('lists names and sources, never values, and stores a new one from a masked field', async () => {
    const stub = renderSettings();
    const envRow = await screen.findByRole('row', { name: /MODAL_TOKEN_ID/ });
    expect(within(envRow).getByText('environment')).toBeTruthy();
    expect(within(envRow).queryByRole('button', { name: /Remove/ })).toBeNull();
    expect(within(screen.getByRole('row', { name: /REPLICATE_API_TOKEN/ })).getByText('stored (encrypted)')).toBeTruthy();

    fireEvent.change(screen.getByRole('combobox', { name: 'Credential name' }), { target: { value: 'TOGETHER_API_KEY' } });
    const value = screen.getByLabelText('Value') as HTMLInputElement;
    expect(value.type).toBe('password');
    fireEvent.change(value, { target: { value: 'sk-secret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Store credential' }));
    await screen.findByRole('row', { name: /TOGETHER_API_KEY/ });
    expect(stub.calls.find((call) => call.method === 'PUT')?.body).toEqual({ value: 'sk-secret' });
    expect(value.value).toBe('');
    expect(document.body.textContent).not.toContain('sk-secret');
  });

  it('removes a stored credential after confirmation', async () => {
    const stub = renderSettings();
    const row = await screen.findByRole('row', { name: /REPLICATE_API_TOKEN/ });
    fireEvent.click(within(row).getByRole('button', { name: 'Remove REPLICATE_API_TOKEN' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Remove credential' }));
    await waitFor(() => expect(screen.queryByRole('row', { name: /REPLICATE_API_TOKEN/ })).toBeNull());
    expect(stub.calls.some((call) => call.method === 'DELETE' && call.url.pathname === '/api/credentials/REPLICATE_API_TOKEN')).toBe(true);
  });

  it('suggests the names listed and those platforms miss, once each', () => {
    expect(credentialNameSuggestions([{ name: 'B_KEY' }, { name: 'A_KEY' }], ['C_KEY', 'A_KEY'])).toEqual(['A_KEY', 'B_KEY', 'C_KEY']);
  });
});
