import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EndpointTestResult } from '../../../api/types';
import { deploymentFixture, localPlatform } from '../../../test/fixtures';
import { json, renderRoutes, stubFetch } from '../../../test/render';
import { DeploymentLayoutRoute } from '../../deployments/routes/deployment-layout-route';
import { recordOfResult } from '../test-history';
import { EndpointTestRoute } from './endpoint-test-route';

const deployment = deploymentFixture({ name: 'support-bot', id: 'dep-1', status: 'active', endpointUrl: 'http://127.0.0.1:8080/v1' });

const result: EndpointTestResult = {
  id: 'test-1',
  success: true,
  output: 'cat cat cat',
  finishReason: 'length',
  latencyMs: 412,
  ttftMs: 37,
  usage: { inputTokens: 9, outputTokens: 3, estimated: false },
  costUsd: 0,
  error: null,
  at: '2026-01-01T12:00:00.000Z',
};

/** An SSE body whose events arrive when the test releases them. */
function controlledStream() {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({ start: (value) => void (controller = value) });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    send(event: string, data: unknown) {
      controller?.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    close() {
      controller?.close();
    },
  };
}

function renderTestView(stream: ReturnType<typeof controlledStream>, history: () => unknown[] = () => []) {
  const stub = stubFetch({
    'GET /api/deployments/dep-1': () => json(deployment),
    'GET /api/platforms': () => json({ items: [localPlatform] }),
    'GET /api/deployments/dep-1/tests': () => json({ items: history() }),
    'POST /api/deployments/dep-1/test/stream': () => stream.response,
  });
  vi.stubGlobal('fetch', stub.fetch);
  renderRoutes([{ path: '/deployments/:id', Component: DeploymentLayoutRoute, children: [{ path: 'test', Component: EndpointTestRoute }] }], { url: '/deployments/dep-1/test' });
  return stub;
}

afterEach(() => vi.unstubAllGlobals());

describe('endpoint testing', () => {
  it('streams the answer in as it arrives, then shows latency, TTFT, tokens, cost and the history entry', async () => {
    const stream = controlledStream();
    let stored: unknown[] = [];
    const stub = renderTestView(stream, () => stored);
    const prompt = await screen.findByRole('textbox', { name: 'Prompt' });
    fireEvent.change(prompt, { target: { value: 'Say something' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send test' }));

    await screen.findByTestId('streaming-badge');
    stream.send('delta', { text: 'cat' });
    await waitFor(() => expect(screen.getByTestId('test-output').textContent).toBe('cat'));
    stream.send('delta', { text: ' cat' });
    await waitFor(() => expect(screen.getByTestId('test-output').textContent).toBe('cat cat'));
    expect(screen.getByTestId('live-ttft').textContent).toMatch(/^First token after/);

    stream.send('delta', { text: ' cat' });
    // The server stores the test before it sends the result.
    stored = [recordOfResult('dep-1', 'demo/cat', { prompt: 'Say something' }, result)];
    stream.send('result', result);
    stream.close();
    await waitFor(() => expect(screen.getByTestId('test-outcome').textContent).toBe('Success'));
    expect(screen.getByTestId('test-latency').textContent).toBe('412 ms');
    expect(screen.getByTestId('test-ttft').textContent).toBe('37 ms');
    expect(screen.getByTestId('test-tokens').textContent).toBe('9 in · 3 out');
    expect(screen.getByTestId('test-cost').textContent).toBe('free');
    expect(screen.getAllByTestId('test-history-row')).toHaveLength(1);

    const sent = stub.calls.find((call) => call.method === 'POST');
    expect(sent?.body).toEqual({ prompt: 'Say something', maxTokens: 64, temperature: 0.7, topP: 1 });
  });

  it('shows a failed inference as a failure with the endpoint’s error', async () => {
    const stream = controlledStream();
    renderTestView(stream);
    fireEvent.click(await screen.findByRole('button', { name: 'Send test' }));
    stream.send('result', { ...result, success: false, output: '', ttftMs: null, error: { code: 'timeout', message: 'no answer within 10 s' } });
    stream.close();
    await waitFor(() => expect(screen.getByTestId('test-outcome').textContent).toBe('Failed'));
    expect(screen.getByTestId('test-error').textContent).toContain('no answer within 10 s');
    expect(screen.getByTestId('test-ttft').textContent).toBe('—');
  });

  it('offers copyable example code and example prompts', async () => {
    renderTestView(controlledStream());
    expect((await screen.findByTestId('example-curl')).textContent).toContain('http://127.0.0.1:8080/v1/chat/completions');
    fireEvent.click(screen.getByText('Write a haiku about GPUs.'));
    expect((screen.getByRole('textbox', { name: 'Prompt' }) as HTMLTextAreaElement).value).toBe('Write a haiku about GPUs.');
    await waitFor(() => expect(screen.getByTestId('example-curl').textContent).toContain('Write a haiku about GPUs.'));
  });
});
