import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pythonLiteral, type PythonValue } from './modal-python.js';

const python = findPython();

function findPython(): string | null {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    return null;
  }
}

/** What Python makes of each literal, as JSON (one interpreter start for all: they are slow). */
function evaluateInPython(literals: string[]): unknown {
  if (python === null) throw new Error('python3 not available');
  const script = `import json, sys\nvalues = [\n${literals.map((literal) => `    ${literal},`).join('\n')}\n]\nsys.stdout.write(json.dumps(values))`;
  return JSON.parse(execFileSync(python, ['-c', script], { encoding: 'utf8' }));
}

describe('pythonLiteral', () => {
  it('writes scalars the Python way', () => {
    expect(pythonLiteral(null)).toBe('None');
    expect(pythonLiteral(true)).toBe('True');
    expect(pythonLiteral(false)).toBe('False');
    expect(pythonLiteral(42)).toBe('42');
    expect(pythonLiteral(0.125)).toBe('0.125');
    expect(pythonLiteral('plain')).toBe('"plain"');
    expect(pythonLiteral(['a', 1, null])).toBe('["a", 1, None]');
    expect(pythonLiteral({ K: 'v' })).toBe('{"K": "v"}');
  });

  it('refuses numbers Python has no literal for', () => {
    expect(() => pythonLiteral(Number.NaN)).toThrow(RangeError);
    expect(() => pythonLiteral(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('keeps the file ASCII whatever the text holds', () => {
    const literal = pythonLiteral('café 😀 \u2028');
    expect(literal).toMatch(/^[\x20-\x7e]*$/);
    expect(literal).toContain('\\U0001f600');
  });

  it.skipIf(python === null)('round-trips hostile text through Python unchanged', () => {
    const values: PythonValue[] = [
      'quote " and \\ backslash',
      '"""triple""" and \'single\'',
      'line\nbreak\rcarriage\ttab\u0000nul',
      '"); import os; os.system("echo pwned"); ("',
      'emoji 😀 accents é ü 中文 \u2028 \u007f',
      { 'KEY"WITH': 'value\\', nested: ['a', { b: null }], flag: true },
      [],
      {},
    ];
    expect(evaluateInPython(values.map(pythonLiteral))).toEqual(values);
  });
});
