import { describe, expect, it } from 'vitest';
import type { ModalAppListEntry } from './modal-api.js';
import { appStatePhase, currentApp } from './modal-status.js';

describe('appStatePhase', () => {
  it.each([
    ['deployed', 'ready'],
    ['initializing...', 'provisioning'],
    ['ephemeral', 'provisioning'],
    ['ephemeral (detached)', 'provisioning'],
    ['stopping...', 'stopped'],
    ['stopped', 'gone'],
    ['disabled', 'failed'],
    ['unknown', 'provisioning'],
    ['some future state', 'provisioning'],
    ['DEPLOYED', 'ready'],
  ] as const)('%s → %s', (state, phase) => {
    expect(appStatePhase(state)).toBe(phase);
  });
});

describe('currentApp', () => {
  const entry = (appId: string, state: string, createdAt: string, name = 'mp-a'): ModalAppListEntry => ({
    appId,
    name,
    state,
    tasks: 0,
    createdAt,
    stoppedAt: null,
  });

  it('prefers the live app over newer stopped ones and ignores other names', () => {
    const apps = [
      entry('ap-old', 'stopped', '2026-01-01 00:00:00+00:00'),
      entry('ap-live', 'deployed', '2026-02-01 00:00:00+00:00'),
      entry('ap-newer-stopped', 'stopped', '2026-03-01 00:00:00+00:00'),
      entry('ap-other', 'deployed', '2026-04-01 00:00:00+00:00', 'mp-b'),
    ];
    expect(currentApp(apps, 'mp-a')?.appId).toBe('ap-live');
  });

  it('falls back to the newest stopped app, and null when none has the name', () => {
    const apps = [entry('ap-1', 'stopped', '2026-01-01 00:00:00+00:00'), entry('ap-2', 'stopped', '2026-02-01 00:00:00+00:00')];
    expect(currentApp(apps, 'mp-a')?.appId).toBe('ap-2');
    expect(currentApp(apps, 'mp-zzz')).toBeNull();
  });
});
