import { describe, expect, it } from 'vitest';
import { createStyle } from '../output/style.js';
import { createProgressDisplay } from './progress.js';

function recorder() {
  const chunks: string[] = [];
  return { chunks, output: { write: (text: string) => chunks.push(text), columns: 80 } };
}

describe('progress display', () => {
  it('prints one line per change when not on a terminal, without repeating itself', () => {
    const { chunks, output } = recorder();
    let now = 0;
    const progress = createProgressDisplay(output, createStyle(false), { tty: false, now: () => now });
    progress.update('bot', { state: 'deploying', message: 'waiting for the platform' });
    progress.update('bot', { state: 'deploying', message: 'waiting for the platform' });
    progress.update('other', { state: 'active', ok: true });
    now = 2_500;
    progress.update('bot', { state: 'active', ok: true });
    progress.finish();
    expect(chunks.join('')).toBe('bot: deploying (waiting for the platform)\nother: active\nbot: active after 2.50 s\n');
  });

  it('redraws its lines in place on a terminal', () => {
    const { chunks, output } = recorder();
    const progress = createProgressDisplay(output, createStyle(false), { tty: true, now: () => 0, refreshMs: 60_000 });
    progress.update('a', { state: 'deploying' });
    progress.update('b', { state: 'creating' });
    progress.update('a', { state: 'active', ok: true });
    progress.finish();
    const last = chunks.at(-1) ?? '';
    // Cursor up over the two lines drawn before, then each line cleared and rewritten.
    expect(last.startsWith('\u001b[2A')).toBe(true);
    expect(last).toContain('\r\u001b[2K✓ a  active');
    expect(last).toMatch(/\r\u001b\[2K\S b  creating/);
    progress.update('a', { state: 'ignored after finish' });
    expect(chunks.at(-1)).toBe(last);
  });
});
