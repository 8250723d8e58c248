import { describe, expect, it } from 'vitest';
import { emptyHeaderLine, isToken, readHeaderLine } from './http1-grammar.js';

describe('HTTP/1.1 grammar', () => {
  it('knows a token by RFC 9110’s tchar set, and nothing else', () => {
    const tchars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (let code = 0; code < 256; code++) {
      const character = String.fromCharCode(code);
      expect([code, isToken(character)]).toEqual([code, tchars.includes(character)]);
    }
    expect(isToken('')).toBe(false);
    expect(isToken('x-modelport-route')).toBe(true);
  });

  it('reads a header line: lower-cased name, value without spaces and tabs around it', () => {
    const text = 'X-Title: \t caf\u00e9 \t\r\nhost:h';
    const line = emptyHeaderLine();
    expect(readHeaderLine(text, 0, line)).toBe(true);
    expect([line.name, text.slice(line.valueStart, line.valueEnd), line.lineEnd]).toEqual(['x-title', 'caf\u00e9', text.indexOf('\r\n')]);
    expect(readHeaderLine(text, line.lineEnd + 2, line)).toBe(true);
    expect([line.name, text.slice(line.valueStart, line.valueEnd), line.lineEnd]).toEqual(['host', 'h', text.length]);
    for (const malformed of [': no name', 'no colon', 'space before : colon', ' folded: x']) expect([malformed, readHeaderLine(malformed, 0, line)]).toEqual([malformed, false]);
  });
});
