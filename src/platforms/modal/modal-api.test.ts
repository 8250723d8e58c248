import { describe, expect, it } from 'vitest';
import { parseAppList } from './modal-api.js';

describe('parseAppList', () => {
  it('reads the 1.5 snake_case rows, tasks as a string', () => {
    const stdout = JSON.stringify([
      {
        app_id: 'ap-AbCdEfGhIjKlMnOpQrStUv',
        description: 'mp-abc',
        state: 'deployed',
        tasks: '2',
        created_at: '2026-08-21 16:23:40+00:00',
        stopped_at: null,
        something_new: { nested: true },
      },
    ]);
    expect(parseAppList(stdout)).toEqual({
      apps: [
        {
          appId: 'ap-AbCdEfGhIjKlMnOpQrStUv',
          name: 'mp-abc',
          state: 'deployed',
          tasks: 2,
          createdAt: '2026-08-21 16:23:40+00:00',
          stoppedAt: null,
        },
      ],
      skipped: 0,
    });
  });

  it('reads the older column-title keys too', () => {
    const stdout = JSON.stringify([{ 'App ID': 'ap-1', Description: 'mp-old', State: 'stopped', Tasks: 0, 'Created at': 'x', 'Stopped at': 'y' }]);
    const parsed = parseAppList(stdout);
    expect(parsed).toMatchObject({ apps: [{ appId: 'ap-1', name: 'mp-old', state: 'stopped', tasks: 0, stoppedAt: 'y' }] });
  });

  it('skips rows that are not apps and tolerates text before the array', () => {
    const stdout = `[notice] A new version of modal is available.\n${JSON.stringify([{ description: 'no id' }, 'junk', { app_id: 'ap-2', description: 'mp-x', tasks: 'n/a' }])}`;
    const parsed = parseAppList(stdout);
    expect(parsed).toMatchObject({ apps: [{ appId: 'ap-2', name: 'mp-x', state: 'unknown', tasks: null }], skipped: 2 });
  });

  it('reports output that is not a JSON array', () => {
    expect(parseAppList('<html>bad gateway</html>')).toHaveProperty('error');
    expect(parseAppList('[{"app_id": ')).toHaveProperty('error');
    expect(parseAppList('')).toHaveProperty('error');
  });
});
