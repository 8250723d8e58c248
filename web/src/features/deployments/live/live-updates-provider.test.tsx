import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../api/types';
import { deploymentFixture } from '../../../test/fixtures';
import { createTestQueryClient } from '../../../test/render';
import { deploymentKeys } from '../api/query-keys';
import { useLiveMode } from './live-mode';
import { LiveUpdatesProvider, type EventSourceLike } from './live-updates-provider';

/** An EventSource the test drives by hand. */
class FakeEventSource implements EventSourceLike {
  static opened: FakeEventSource[] = [];
  listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, data: unknown): void {
    act(() => this.listeners.get(type)?.forEach((listener) => listener(new MessageEvent(type, { data: JSON.stringify(data) }))));
  }
  fail(): void {
    act(() => this.onerror?.(new Event('error')));
  }
  close(): void {
    this.closed = true;
  }
}

function Mode() {
  return <p data-testid="mode">{useLiveMode()}</p>;
}

function renderProvider() {
  FakeEventSource.opened = [];
  const queryClient = createTestQueryClient();
  const createSource = (url: string) => new FakeEventSource(url);
  render(
    <MantineProvider>
      <Notifications />
      <QueryClientProvider client={queryClient}>
        <LiveUpdatesProvider createSource={createSource} retryMs={20}>
          <Mode />
        </LiveUpdatesProvider>
      </QueryClientProvider>
    </MantineProvider>,
  );
  const source = () => {
    const last = FakeEventSource.opened.at(-1);
    if (!last) throw new Error('no event source opened');
    return last;
  };
  return { queryClient, source };
}

describe('live deployment status', () => {
  it('goes live on the stream and writes deployment changes into the caches', () => {
    const { queryClient, source } = renderProvider();
    expect(source().url).toBe('/api/events/stream');
    expect(screen.getByTestId('mode').textContent).toBe('connecting');
    source().emit('ready', {});
    expect(screen.getByTestId('mode').textContent).toBe('live');

    const pending = deploymentFixture({ name: 'bot', status: 'deploying', version: 2 });
    queryClient.setQueryData(deploymentKeys.list(), [pending]);
    source().emit('deployment', { ...pending, status: 'active', version: 3 });
    expect(queryClient.getQueryData<Deployment[]>(deploymentKeys.list())?.[0]?.status).toBe('active');
    expect(queryClient.getQueryData<Deployment>(deploymentKeys.detail(pending.id))?.status).toBe('active');
    expect(screen.getByText('bot is active')).toBeTruthy();

    source().emit('deployment-deleted', { id: pending.id });
    expect(queryClient.getQueryData<Deployment[]>(deploymentKeys.list())).toEqual([]);
  });

  it('falls back to polling when the stream fails, and retries it', async () => {
    const { source } = renderProvider();
    const first = source();
    first.emit('ready', {});
    first.fail();
    expect(first.closed).toBe(true);
    expect(screen.getByTestId('mode').textContent).toBe('polling');
    await act(() => new Promise((resolve) => setTimeout(resolve, 40)));
    expect(FakeEventSource.opened.length).toBe(2);
    expect(screen.getByTestId('mode').textContent).toBe('polling');
    source().emit('ready', {});
    expect(screen.getByTestId('mode').textContent).toBe('live');
  });

  it('skips malformed events instead of breaking the cache', () => {
    const { queryClient, source } = renderProvider();
    const list = [deploymentFixture({ name: 'bot' })];
    queryClient.setQueryData(deploymentKeys.list(), list);
    act(() => source().listeners.get('deployment')?.forEach((listener) => listener(new MessageEvent('deployment', { data: '{not json' }))));
    source().emit('deployment', { hello: 'world' });
    expect(queryClient.getQueryData(deploymentKeys.list())).toBe(list);
  });
});
