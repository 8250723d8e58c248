import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deploymentFixture, localPlatform, openAICompatiblePlatform, togetherPlatform } from '../../../test/fixtures';
import { json, renderRoutes, stubFetch } from '../../../test/render';
import { DeploymentWizard } from './deployment-wizard';

const platforms = [localPlatform, openAICompatiblePlatform, togetherPlatform];

type Issue = { path: string; message: string };

/** A stand-in for the server's dry run: a taken name, local's one-replica rule and a spec-level issue. */
function dryRun({ body }: { body: unknown }): Response {
  const spec = body as { name: string; baseModel: string; scaling: { maxReplicas: number } };
  const issues: Issue[] = [];
  if (spec.name === 'taken') issues.push({ path: 'name', message: "a deployment named 'taken' already exists" });
  if (spec.scaling.maxReplicas !== 1) issues.push({ path: 'scaling.maxReplicas', message: 'local runs one replica in this process; set maxReplicas to 1' });
  if (spec.baseModel === 'demo/mystery') issues.push({ path: '', message: 'the model files could not be read' });
  return json({ valid: issues.length === 0, issues });
}

function renderWizard(routes: Parameters<typeof stubFetch>[0] = {}, initialPlatform: string | null = null) {
  const stub = stubFetch({ 'POST /api/deployments/validate': dryRun, ...routes });
  vi.stubGlobal('fetch', stub.fetch);
  const view = renderRoutes([
    { path: '/new', element: <DeploymentWizard platforms={platforms} existingNames={new Set(['taken'])} initialPlatform={initialPlatform} /> },
    { path: '/deployments/:id', element: <p>deployment page</p> },
  ], { url: '/new' });
  return { ...view, stub };
}

const title = () => screen.getByTestId('wizard-step-title').textContent;
const next = () => fireEvent.click(screen.getByRole('button', { name: 'Next' }));

afterEach(() => vi.unstubAllGlobals());

describe('deployment wizard', () => {
  it('starts on the first ready platform with its defaults, and compares every platform', async () => {
    renderWizard();
    expect(await screen.findByRole('radio', { name: 'Local (llama.cpp)' })).toBeTruthy();
    expect(screen.getByRole('radio', { name: 'Local (llama.cpp)' }).getAttribute('aria-checked')).toBe('true');
    expect(screen.getByText('Set TOGETHER_API_KEY in the server environment to use it.')).toBeTruthy();
    expect(screen.getByRole('table', { name: 'Compare platforms' })).toBeTruthy();
  });

  it('is keyboard-usable: Enter submits the step, focus moves to the new step’s heading', async () => {
    renderWizard();
    await screen.findByText('Choose a platform');
    fireEvent.submit(screen.getByRole('form', { name: 'New deployment' }));
    await waitFor(() => expect(title()).toBe('Pick the model and name it'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('wizard-step-title')));
    expect((screen.getByRole('textbox', { name: 'Deployment name' }) as HTMLInputElement).value).toBe('tiny-llama-cat');
    expect(screen.getByTestId('synthetic-notice')).toBeTruthy();
  });

  it('validates as you type with the server’s rules and will not go on until the step is valid', async () => {
    renderWizard();
    await screen.findByText('Choose a platform');
    next();
    const name = await screen.findByRole('textbox', { name: 'Deployment name' });
    fireEvent.change(name, { target: { value: 'Support Bot' } });
    expect(await screen.findByText('use lowercase letters, digits and dashes (DNS label), e.g. support-bot')).toBeTruthy();
    next();
    expect(title()).toBe('Pick the model and name it');
    fireEvent.change(name, { target: { value: 'support-bot' } });
    next();
    await waitFor(() => expect(title()).toBe('Size it'));
  });

  it('asks the server’s dry run once the user pauses typing, and shows its answer next to the field', async () => {
    const { stub } = renderWizard();
    await screen.findByText('Choose a platform');
    next();
    const name = await screen.findByRole('textbox', { name: 'Deployment name' });
    const dryRuns = () => stub.calls.filter((call) => call.url.pathname === '/api/deployments/validate');
    for (const partial of ['t', 'ta', 'tak', 'take', 'taken']) fireEvent.change(name, { target: { value: partial } });
    expect(await screen.findByText("a deployment named 'taken' already exists", {}, { timeout: 2_000 })).toBeTruthy();
    expect(name.getAttribute('aria-invalid')).toBe('true');
    // Debounced: the quick keystrokes became one request, for the final value.
    // The step's starting values are checked on arrival; then the quick keystrokes became one request, for the final value.
    expect(dryRuns().map((call) => (call.body as { name: string }).name)).toEqual(['tiny-llama-cat', 'taken']);
    // Next refuses while the server has something to say about this step.
    next();
    await waitFor(() => expect(dryRuns().length).toBeGreaterThanOrEqual(1));
    expect(title()).toBe('Pick the model and name it');
    fireEvent.change(name, { target: { value: 'support-bot' } });
    await waitFor(() => expect(screen.queryByText("a deployment named 'taken' already exists")).toBeNull(), { timeout: 2_000 });
  });

  it('waits for the dry run on Next, so a platform rule stops the step even before the debounce fires', async () => {
    renderWizard();
    await screen.findByText('Choose a platform');
    next();
    await screen.findByText('Pick the model and name it');
    next();
    await screen.findByText('Size it');
    fireEvent.change(screen.getByRole('textbox', { name: 'Maximum replicas' }), { target: { value: '2' } });
    next();
    expect(await screen.findByText('local runs one replica in this process; set maxReplicas to 1')).toBeTruthy();
    expect(title()).toBe('Size it');
  });

  it('lists the server’s issues that belong to no field above the buttons', async () => {
    renderWizard();
    await screen.findByText('Choose a platform');
    next();
    fireEvent.change(await screen.findByRole('combobox', { name: 'Base model' }), { target: { value: 'demo/mystery' } });
    expect(await screen.findByTestId('server-issues', {}, { timeout: 2_000 })).toBeTruthy();
    expect(screen.getByTestId('server-issues').textContent).toContain('the model files could not be read');
    next();
    // Not a field of this step: Next goes on (create will refuse it with the same message).
    await waitFor(() => expect(title()).toBe('Size it'));
  });

  it('refuses an unconfigured platform, naming the variables to set', async () => {
    renderWizard({}, 'together');
    await screen.findByText('Choose a platform');
    next();
    expect(await screen.findByText('Together AI is not configured: store TOGETHER_API_KEY below, or set it in the server environment')).toBeTruthy();
    expect(title()).toBe('Choose a platform');
  });

  it('creates and deploys with an idempotency key, then opens the deployment', async () => {
    const created = deploymentFixture({ name: 'tiny-llama-cat', id: 'new-id' });
    const { stub, router } = renderWizard({
      'POST /api/deployments': ({ headers }) => (headers.get('idempotency-key') ? json(created, 201) : json({}, 400)),
      'POST /api/deployments/new-id/deploy': () => json({ ...created, status: 'deploying', version: 2 }, 202),
    });
    await screen.findByText('Choose a platform');
    next();
    await screen.findByText('Pick the model and name it');
    next();
    await screen.findByText('Size it');
    next();
    await screen.findByText('Review and deploy');
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/deployments/new-id'));
    // One dry run: the unchanged values were not asked about twice.
    expect(stub.calls.map((call) => `${call.method} ${call.url.pathname}`)).toEqual(['POST /api/deployments/validate', 'POST /api/deployments', 'POST /api/deployments/new-id/deploy']);
    expect(stub.calls[1]?.body).toMatchObject({ name: 'tiny-llama-cat', platform: 'local', baseModel: 'demo/tiny-llama', adapter: { id: 'demo/cat' }, hardware: 'cpu', timeouts: { requestMs: 10_000, deployMs: 900_000 } });
  });

  it('shows the server’s refusal next to the field and goes back to its step', async () => {
    renderWizard({
      'POST /api/deployments': () =>
        json(
          {
            type: 'https://modelport.dev/problems/validation-failed',
            title: 'Invalid request',
            status: 400,
            detail: 'the local platform cannot run this deployment: scaling.maxReplicas: local runs one replica in this process; set maxReplicas to 1',
            code: 'validation_failed',
            issues: [{ path: 'scaling.maxReplicas', message: 'local runs one replica in this process; set maxReplicas to 1' }],
          },
          400,
        ),
    });
    await screen.findByText('Choose a platform');
    next();
    await screen.findByText('Pick the model and name it');
    next();
    await screen.findByText('Size it');
    next();
    await screen.findByText('Review and deploy');
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(title()).toBe('Size it'));
    expect(screen.getByText('local runs one replica in this process; set maxReplicas to 1')).toBeTruthy();
    expect(screen.getByTestId('problem-detail').textContent).toMatch(/cannot run this deployment/);
    expect(screen.getByTestId('problem-hint').textContent).toMatch(/Correct the fields/);
  });

  it('keeps a created deployment when deploying it fails, and says how to fix it', async () => {
    const created = deploymentFixture({ name: 'tiny-llama-cat', id: 'new-id' });
    renderWizard({
      'POST /api/deployments': () => json(created, 201),
      'POST /api/deployments/new-id/deploy': () =>
        json({ type: 't', title: 'Platform not configured', status: 422, detail: "platform 'local' has no credentials: set X_KEY", code: 'platform_not_configured' }, 422),
    });
    await screen.findByText('Choose a platform');
    for (const step of ['Pick the model and name it', 'Size it', 'Review and deploy']) {
      next();
      await screen.findByText(step);
    }
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    expect(await screen.findByText('tiny-llama-cat was created, but deploying it failed')).toBeTruthy();
    expect(screen.getAllByRole('link', { name: 'Open tiny-llama-cat' }).length).toBeGreaterThan(0);
  });
});
