import { describe, expect, it } from 'vitest';
import { TCHAR, TOKEN } from './http1-grammar.js';

describe('tchar', () => {
  it('is the same set in the regular expression and in the table', () => {
    for (let code = 0; code < 256; code++) expect([code, TCHAR[code] === 1]).toEqual([code, TOKEN.test(String.fromCharCode(code))]);
  });
});
