// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { fieldForPath, humanizeIssue, mapIssues } from './spec-issues';

describe('issues next to the fields that caused them', () => {
  it('maps spec paths (from the server or the shared schema) to form fields', () => {
    expect(fieldForPath('name')).toEqual({ field: 'name' });
    expect(fieldForPath('adapter.id')).toEqual({ field: 'adapterId' });
    expect(fieldForPath('extraAdapters.0.id')).toEqual({ field: 'adapterId' });
    expect(fieldForPath('scaling')).toEqual({ field: 'minReplicas' });
    expect(fieldForPath('scaling.maxReplicas')).toEqual({ field: 'maxReplicas' });
    expect(fieldForPath('timeouts.requestMs')).toEqual({ field: 'requestTimeoutSeconds', scale: 1000, unit: 's' });
    expect(fieldForPath('platformOptions.baseUrl')).toEqual({ field: 'baseUrl' });
    expect(fieldForPath('platformOptions.together.mode')).toEqual({ field: 'platformOptions' });
    expect(fieldForPath('env.API_MODE', { envKeys: ['OTHER', 'API_MODE'] })).toEqual({ field: 'env.1.key' });
    expect(fieldForPath('env')).toEqual({ field: 'env' });
    expect(fieldForPath('adapterId')).toBeNull();
  });

  it('speaks in the unit the field shows', () => {
    expect(humanizeIssue({ code: 'too_small', origin: 'number', minimum: 100, path: [], message: 'Too small' }, { scale: 1000, unit: 's' })).toBe('must be at least 0.1 s');
    expect(humanizeIssue({ code: 'too_big', origin: 'number', maximum: 100, path: [], message: 'Too big' })).toBe('must be at most 100');
    expect(humanizeIssue({ code: 'too_small', origin: 'string', minimum: 1, path: [], message: 'Too small' })).toBe('required');
    expect(humanizeIssue({ code: 'invalid_type', expected: 'number', path: [], message: 'Invalid input' })).toBe('enter a number');
    expect(
      humanizeIssue({ code: 'invalid_key', path: ['env', '1x'], message: 'Invalid key in record', issues: [{ path: [], message: 'environment variable names are letters, digits and _' }] }),
    ).toBe('environment variable names are letters, digits and _');
    expect(humanizeIssue({ code: 'custom', path: [], message: 'minReplicas must not exceed maxReplicas' })).toBe('minReplicas must not exceed maxReplicas');
  });

  it('keeps the first issue per field and lists the ones no field shows', () => {
    const mapped = mapIssues([
      { path: 'scaling.maxReplicas', message: 'local runs one replica in this process; set maxReplicas to 1' },
      { path: 'scaling.maxReplicas', message: 'second opinion' },
      { path: 'stop', message: 'unexpected' },
      { path: '', message: 'give exactly one of prompt or messages' },
    ]);
    expect(mapped.fields).toEqual({ maxReplicas: 'local runs one replica in this process; set maxReplicas to 1' });
    expect(mapped.other).toEqual(['stop: unexpected', 'give exactly one of prompt or messages']);
  });
});
