import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectSecrets, redact, REDACTED } from './redact.js';

describe('redact', () => {
  it('replaces every occurrence of a secret', () => {
    expect(redact('key sk-live-123 and again sk-live-123.', ['sk-live-123'])).toBe(
      `key ${REDACTED} and again ${REDACTED}.`,
    );
  });

  it('replaces URL-encoded and JSON-escaped forms of a secret', () => {
    const secret = 'a/b+c"d==';
    const text = `url ?key=${encodeURIComponent(secret)} body ${JSON.stringify({ key: secret })}`;
    const result = redact(text, [secret]);
    expect(result).not.toContain(encodeURIComponent(secret));
    expect(result).not.toContain(JSON.stringify(secret).slice(1, -1));
  });

  it('removes the longer of two overlapping secrets whole', () => {
    expect(redact('token abcdef123456', ['abcdef', 'abcdef123456'])).toBe(`token ${REDACTED}`);
  });

  it('ignores values too short to be secrets, and undefined ones', () => {
    expect(redact('a bc def', ['a', 'bc', undefined, null])).toBe('a bc def');
  });

  it('hides any bearer token even when not told about it', () => {
    expect(redact('got header Bearer xyz.abc-123', [])).toBe(`got header Bearer ${REDACTED}`);
    expect(redact('Token limit exceeded', [])).toBe('Token limit exceeded');
  });

  it('never leaves a secret in the output (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 40 }).filter((secret) => !REDACTED.includes(secret)),
        fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }),
        (secret, parts) => {
          const text = parts.join(secret);
          const withSecret = `${text}${secret}`;
          expect(redact(withSecret, [secret])).not.toContain(secret);
        },
      ),
    );
  });
});

describe('collectSecrets', () => {
  it('takes credential values and credential headers with and without their scheme', () => {
    const secrets = collectSecrets({ API_KEY: 'k-1234' }, { Authorization: 'Bearer tok-5678', 'x-request-id': 'visible' });
    expect(secrets).toEqual(expect.arrayContaining(['k-1234', 'Bearer tok-5678', 'tok-5678']));
    expect(secrets).not.toContain('visible');
  });
});
