import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EndpointTestBody, EndpointTestRecord, EndpointTestResult } from '../../api/types';
import { deploymentKeys } from '../deployments/api/query-keys';
import { streamEndpointTest } from './api/stream-endpoint-test';
import { addToHistory, recordOfResult } from './test-history';

export type TestRunState =
  | { phase: 'idle' }
  | { phase: 'streaming'; output: string; startedAt: number; firstTokenMs: number | null }
  | { phase: 'done'; output: string; result: EndpointTestResult }
  | { phase: 'error'; output: string; error: unknown };

/**
 * One streamed endpoint test at a time: text grows as deltas arrive, the final result carries the
 * server's measurements, and the history and metrics caches are refreshed afterwards.
 */
export function useEndpointTest(deploymentId: string, adapterId: string | null) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<TestRunState>({ phase: 'idle' });
  const controller = useRef<AbortController | null>(null);

  useEffect(() => () => controller.current?.abort(), []);

  const run = useCallback(
    async (body: EndpointTestBody) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      const startedAt = performance.now();
      let output = '';
      let firstTokenMs: number | null = null;
      setState({ phase: 'streaming', output, startedAt, firstTokenMs });
      try {
        const result = await streamEndpointTest(deploymentId, body, {
          signal: abort.signal,
          onDelta: (text) => {
            output += text;
            firstTokenMs ??= performance.now() - startedAt;
            setState({ phase: 'streaming', output, startedAt, firstTokenMs });
          },
        });
        setState({ phase: 'done', output: result.output || output, result });
        queryClient.setQueryData<EndpointTestRecord[]>(deploymentKeys.tests(deploymentId), (history) =>
          addToHistory(history ?? [], recordOfResult(deploymentId, adapterId, body, result)),
        );
      } catch (error) {
        if (abort.signal.aborted) setState(output ? { phase: 'error', output, error: new Error('cancelled: the answer above is incomplete') } : { phase: 'idle' });
        else setState({ phase: 'error', output, error });
      } finally {
        if (controller.current === abort) controller.current = null;
        void queryClient.invalidateQueries({ queryKey: deploymentKeys.tests(deploymentId) });
        void queryClient.invalidateQueries({ queryKey: ['deployments', 'metrics', deploymentId] });
      }
    },
    [adapterId, deploymentId, queryClient],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);
  return { state, run, cancel };
}
