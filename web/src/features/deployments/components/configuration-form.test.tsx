import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deploymentFixture, localPlatform } from '../../../test/fixtures';
import { json, renderRoutes, stubFetch } from '../../../test/render';
import { ConfigurationForm } from './configuration-form';

afterEach(() => vi.unstubAllGlobals());

const deployment = deploymentFixture({ id: 'dep-1', name: 'support-bot', status: 'stopped', config: { ...deploymentFixture().config, name: 'support-bot', env: { MODE: 'fast' } } });

function renderForm() {
  const stub = stubFetch({ 'PATCH /api/deployments/dep-1': ({ body }) => json({ ...deployment, version: 2, config: { ...deployment.config, ...(body as object) } }) });
  vi.stubGlobal('fetch', stub.fetch);
  renderRoutes(<ConfigurationForm deployment={deployment} platform={localPlatform} />);
  return stub;
}

describe('configuration form: adapter and environment', () => {
  it('shows env values masked, and saves a new adapter and an added variable in one PATCH', async () => {
    const stub = renderForm();
    const value = (await screen.findByLabelText('Variable 1 value')) as HTMLInputElement;
    expect(value.type).toBe('password');
    expect(value.value).toBe('fast');
    fireEvent.change(screen.getByRole('combobox', { name: 'LoRA adapter' }), { target: { value: 'demo/dog' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add variable' }));
    fireEvent.change(await screen.findByRole('textbox', { name: 'Variable 2 name' }), { target: { value: 'LEVEL' } });
    fireEvent.change(screen.getByLabelText('Variable 2 value'), { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(stub.calls).toHaveLength(1));
    expect(stub.calls[0]?.body).toEqual({ adapter: { id: 'demo/dog' }, env: { MODE: 'fast', LEVEL: '3' } });
  });

  it('removes a variable, and refuses a duplicate name before sending anything', async () => {
    const stub = renderForm();
    fireEvent.click(await screen.findByRole('button', { name: 'Add variable' }));
    fireEvent.change(await screen.findByRole('textbox', { name: 'Variable 2 name' }), { target: { value: 'MODE' } });
    expect(await screen.findByText('MODE is already set above')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stub.calls).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Remove variable 1' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(stub.calls).toHaveLength(1));
    expect(stub.calls[0]?.body).toEqual({ env: { MODE: '' } });
  });
});
