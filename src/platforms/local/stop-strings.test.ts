import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopStringScanner } from './stop-strings.js';

function scan(stops: string[], chunks: string[]): { text: string; stopped: boolean } {
  const scanner = new StopStringScanner(stops);
  let text = '';
  for (const chunk of chunks) {
    const { emit, stopped } = scanner.push(chunk);
    text += emit;
    if (stopped) return { text, stopped };
  }
  const rest = scanner.flush();
  return { text: text + rest.text, stopped: rest.stopped };
}

describe('StopStringScanner', () => {
  it('stops before a stop string, also one with a leading space or split across chunks', () => {
    expect(scan([' labore'], ['magna', ' minim', ' labore', ' x'])).toEqual({ text: 'magna minim', stopped: true });
    expect(scan(['\nuser:'], ['hi', '\n', 'us', 'er', ':', ' more'])).toEqual({ text: 'hi', stopped: true });
    expect(scan(['END', 'ab'], ['xxa', 'bEND'])).toEqual({ text: 'xx', stopped: true });
  });

  it('holds back only what could still become a stop string, and releases it when it does not', () => {
    const scanner = new StopStringScanner(['\nuser:']);
    expect(scanner.push('hello\nu')).toEqual({ emit: 'hello', stopped: false });
    expect(scanner.push('nder')).toEqual({ emit: '\nunder', stopped: false });
    expect(scanner.push('\n')).toEqual({ emit: '', stopped: false });
    expect(scanner.flush()).toEqual({ text: '\n', stopped: false });
  });

  it('waits on a stop string that could still complete before one already found', () => {
    // "b" is whole at 1, but "\nba" may complete at 0 and would end the answer earlier.
    const scanner = new StopStringScanner(['b', '\nba']);
    expect(scanner.push('\n')).toEqual({ emit: '', stopped: false });
    expect(scanner.push('b')).toEqual({ emit: '', stopped: false });
    expect(scanner.push('a')).toEqual({ emit: '', stopped: true });
    expect(scan(['b', '\nba'], ['\n', 'b', 'c'])).toEqual({ text: '\n', stopped: true });
    // Generation ending while it waits: the stop string found still applies.
    expect(scan(['b', '\nba'], ['x\n', 'b'])).toEqual({ text: 'x\n', stopped: true });
  });

  it('passes text through untouched without stop strings', () => {
    expect(scan([], ['a', 'b'])).toEqual({ text: 'ab', stopped: false });
    expect(scan([''], ['a', 'b'])).toEqual({ text: 'ab', stopped: false });
  });

  it('emits exactly the text before the first stop string, however the text is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', ' ', '\n'), { maxLength: 40 }),
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n'), minLength: 1, maxLength: 3 }), { maxLength: 3 }),
        fc.array(fc.nat({ max: 5 }), { maxLength: 40 }),
        (characters, stops, cuts) => {
          const whole = characters.join('');
          const chunks: string[] = [];
          let at = 0;
          for (const cut of cuts) {
            chunks.push(whole.slice(at, at + cut));
            at += cut;
          }
          chunks.push(whole.slice(at));
          const hits = stops.map((stop) => whole.indexOf(stop)).filter((index) => index >= 0);
          const expected = hits.length > 0 ? whole.slice(0, Math.min(...hits)) : whole;
          expect(scan(stops, chunks)).toEqual({ text: expected, stopped: hits.length > 0 });
        },
      ),
    );
  });
});
