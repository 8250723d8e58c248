import { describe, expect, it } from 'vitest';
import { startOfChange } from './use-dashboard-filters';

/** Applies a write the way the hook does: from where startOfChange says, to `next`. */
function write(trail: string[], onScreen: string, next: (base: string) => string): { base: string; trail: string[] } {
  const start = startOfChange(trail, onScreen);
  return { base: start.base, trail: [...start.trail, next(start.base)] };
}

describe('startOfChange', () => {
  it('starts from the screen when nothing is pending', () => {
    expect(startOfChange([], 'status=failed')).toEqual({ base: 'status=failed', trail: ['status=failed'] });
  });

  it('starts from the latest write while the screen still shows an earlier one', () => {
    expect(startOfChange(['', 'status=failed'], '')).toEqual({ base: 'status=failed', trail: ['', 'status=failed'] });
  });

  // The browser test once ended on ?status=failed&q=load-0999: "Failed", then "Total" before the
  // first navigation rendered, then the older render committed while the search was typed.
  it('keeps the latest write when an older write renders after it', () => {
    let state = write([], '', () => 'status=failed'); // click "Failed"
    state = write(state.trail, '', () => ''); // click "Total" before "Failed" rendered
    state = write(state.trail, 'status=failed', (base) => (base === '' ? 'q=load-0999' : `${base}&q=load-0999`)); // type while "Failed" renders late
    expect(state.base).toBe('');
    expect(state.trail.at(-1)).toBe('q=load-0999');
  });

  it('adopts a URL that did not come from this hook (Back, a link)', () => {
    expect(startOfChange(['', 'status=failed', 'q=a'], 'platform=modal')).toEqual({ base: 'platform=modal', trail: ['platform=modal'] });
  });

  it('starts over once the screen shows the last write', () => {
    expect(startOfChange(['', 'status=failed'], 'status=failed')).toEqual({ base: 'status=failed', trail: ['status=failed'] });
  });
});
