import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * `npm start` runs the server through tsx, whose esbuild transform (keepNames) wraps every named closure
 * in a `__name()` call as it is made. Made per request, those calls cost CPU, and on the stream path they
 * left two 72-byte objects per stream in old space (bench/gateway/README.md, tenth session). These
 * modules run per request or per stream from top to bottom, so they make none: per-request state with
 * behaviour lives in classes, and callbacks are methods or arrows passed straight as arguments.
 */
const PER_REQUEST_MODULES = ['passthrough-attempt', 'raw-response', 'sse-tap', 'client-presence', 'http1-request-head', 'http1-response-parser'];

/** The lines of `source`, transformed as tsx does, that name a closure at run time. */
function namedClosures(source: string): string[] {
  const { code } = transformSync(source, { loader: 'ts', format: 'esm', keepNames: true });
  // Allowed: `__name(f, "f")` after a top-level function declaration, and `__name(this, "C")` in a class's static block.
  return code.split('\n').filter((line) => line.includes('__name(') && !/^__name\(|^\s+__name\(this, "/.test(line));
}

describe('per-request modules make no named closures under tsx', () => {
  it.each(PER_REQUEST_MODULES)('%s', (module) => {
    expect(namedClosures(readFileSync(new URL(`./${module}.ts`, import.meta.url), 'utf8'))).toEqual([]);
  });

  it('sees the closures it is meant to catch', () => {
    const source = 'export function perRequest(list: number[]) { const twice = (n: number) => n * 2; return list.map(twice); }';
    expect(namedClosures(source)).toHaveLength(1);
  });
});
