import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseEnvPairs, parseInteger, parseNumber, parseOptionPairs } from './options.js';

describe('flag parsers', () => {
  it('accepts whole numbers only for integer flags', () => {
    expect(parseInteger('3')).toBe(3);
    expect(() => parseInteger('1.5')).toThrow(InvalidArgumentError);
    expect(() => parseInteger('two')).toThrow(InvalidArgumentError);
    expect(parseNumber('0.7')).toBe(0.7);
    expect(() => parseNumber('')).toThrow(InvalidArgumentError);
  });

  it('keeps env values as strings and allows = inside them', () => {
    expect(parseEnvPairs(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(() => parseEnvPairs(['novalue'])).toThrow(/KEY=VALUE/);
  });

  it('reads option values as JSON when they are JSON, nests dotted keys', () => {
    expect(parseOptionPairs(['baseUrl=http://10.0.0.5:8000/v1', 'replicas=2', 'pricing.inputPerMillion=0.2', 'pricing.outputPerMillion=0.4', 'version="1.0"'])).toEqual({
      baseUrl: 'http://10.0.0.5:8000/v1',
      replicas: 2,
      pricing: { inputPerMillion: 0.2, outputPerMillion: 0.4 },
      version: '1.0',
    });
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1500')).toBe(1_500);
    expect(() => parseDuration('soon')).toThrow(InvalidArgumentError);
  });
});
