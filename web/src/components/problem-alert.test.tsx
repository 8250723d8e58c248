import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/api-error';
import { renderRoutes } from '../test/render';
import { ProblemAlert } from './problem-alert';

describe('ProblemAlert', () => {
  it('shows the server’s detail, its field issues and what to do for the code', async () => {
    const error = new ApiError({
      type: 'https://modelport.dev/problems/validation-failed',
      title: 'Invalid request',
      status: 400,
      detail: 'the local platform cannot run this deployment: scaling.maxReplicas: set maxReplicas to 1',
      code: 'validation_failed',
      issues: [{ path: 'scaling.maxReplicas', message: 'local runs one replica in this process; set maxReplicas to 1' }],
    });
    renderRoutes(<ProblemAlert error={error} />);
    expect(await screen.findByText('Invalid request')).toBeTruthy();
    expect(screen.getByTestId('problem-detail').textContent).toContain('cannot run this deployment');
    expect(screen.getByText('scaling.maxReplicas')).toBeTruthy();
    expect(screen.getByText(/local runs one replica in this process/)).toBeTruthy();
    expect(screen.getByTestId('problem-hint').textContent).toBe('Correct the fields listed below, then try again.');
  });

  it('names the environment variables to set for an unconfigured platform', async () => {
    const error = new ApiError({
      type: 'https://modelport.dev/problems/platform-not-configured',
      title: 'Platform not configured',
      status: 422,
      detail: "platform 'together' has no credentials: set TOGETHER_API_KEY in the environment or store them through the API",
      code: 'platform_not_configured',
    });
    renderRoutes(<ProblemAlert error={error} hintContext={{ missingCredentials: ['TOGETHER_API_KEY'] }} />);
    expect((await screen.findByTestId('problem-hint')).textContent).toMatch(/^Set TOGETHER_API_KEY in the environment of the modelport server/);
  });

  it('turns a network failure into a readable message with a retry', async () => {
    const retry = vi.fn();
    renderRoutes(<ProblemAlert error={new TypeError('Failed to fetch')} title="Could not load deployments" onRetry={retry} />);
    expect(await screen.findByText('Could not load deployments')).toBeTruthy();
    expect(screen.getByTestId('problem-detail').textContent).toBe('Failed to fetch');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('hides the field issues when the form shows them next to the fields', async () => {
    const error = new ApiError({ type: 't', title: 'Invalid request', status: 400, detail: 'invalid', code: 'validation_failed', issues: [{ path: 'name', message: 'taken' }] });
    renderRoutes(<ProblemAlert error={error} hideIssues />);
    await screen.findByText('Invalid request');
    expect(screen.queryByText('taken')).toBeNull();
  });
});
