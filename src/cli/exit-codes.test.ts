import { describe, expect, it } from 'vitest';
import { CliError, formatCliError } from './cli-error.js';
import { problemFromBody } from './client.js';
import { exitCodeFor, exitCodeHelp } from './exit-codes.js';

describe('exit codes', () => {
  it.each([
    ['validation_failed', 2],
    ['invalid_json', 2],
    ['usage', 2],
    ['not_found', 3],
    ['conflict', 4],
    ['invalid_transition', 4],
    ['platform_not_configured', 5],
    ['platform_api_error', 6],
    ['platform_auth_failed', 6],
    ['platform_capacity', 6],
    ['platform_something_new', 6],
    ['timeout', 7],
    ['rate_limited', 8],
    ['unauthorized', 9],
    ['forbidden', 9],
    ['connection_failed', 10],
    ['deployment_failed', 11],
    ['internal_error', 1],
    ['never_heard_of_it', 1],
  ])('%s exits %i', (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });

  it('treats HTTP 401 and 403 as auth failures whatever the code', () => {
    expect(exitCodeFor('internal_error', 401)).toBe(9);
    expect(exitCodeFor('not_found', 403)).toBe(9);
  });

  it('documents every exit code in --help', () => {
    for (const exit of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) expect(exitCodeHelp).toMatch(new RegExp(`\\n  ${exit}\\s+\\S`));
  });
});

describe('problem+json → CliError', () => {
  it('keeps the code, detail and issues of a problem', () => {
    const error = problemFromBody(
      { type: 't', title: 'Invalid request', status: 400, code: 'validation_failed', detail: 'invalid input: scaling.minReplicas: too big', issues: [{ path: 'scaling.minReplicas', message: 'too big' }] },
      400,
      'fallback',
    );
    expect(error).toMatchObject({ code: 'validation_failed', message: 'invalid input: scaling.minReplicas: too big', exitCode: 2, issues: [{ path: 'scaling.minReplicas', message: 'too big' }] });
  });

  it('derives a code from the HTTP status when the body is not a problem', () => {
    expect(problemFromBody('<html>', 401, 'GET /api/x answered 401')).toMatchObject({ code: 'unauthorized', exitCode: 9, message: 'GET /api/x answered 401' });
    expect(problemFromBody(null, 502, 'x').exitCode).toBe(1);
    expect(problemFromBody({ code: 'rate_limited', title: 'Too many requests' }, 429, 'x')).toMatchObject({ exitCode: 8, message: 'Too many requests' });
  });

  it('prints one line with the code, then the issues indented', () => {
    const error = new CliError('validation_failed', 'modelport.yaml is not valid: 1 problem', {
      issues: [{ path: 'deployments[0].scaling.minReplicas', message: 'minReplicas must not exceed maxReplicas', where: 'modelport.yaml:7:5' }],
    });
    expect(formatCliError(error)).toBe(
      'modelport: modelport.yaml is not valid: 1 problem (validation_failed)\n  modelport.yaml:7:5 deployments[0].scaling.minReplicas: minReplicas must not exceed maxReplicas\n',
    );
  });
});
