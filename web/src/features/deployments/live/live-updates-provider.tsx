import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import type { Deployment } from '../../../api/types';
import { onApiTokenChange } from '../../../lib/api-token';
import { deploymentKeys } from '../api/query-keys';
import { writeDeploymentChange } from './deployment-cache';
import { openFetchEventSource } from './fetch-event-source';
import { LiveModeContext, type LiveMode } from './live-mode';
import { settledNotice } from './settled-notice';

/** The EventSource surface the provider uses (implemented over fetch; tests drive a fake). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export interface LiveUpdatesProviderProps {
  children: ReactNode;
  createSource?: (url: string) => EventSourceLike;
  /** Wait before trying the stream again after it failed; polling covers the gap. */
  retryMs?: number;
}

const STREAM_URL = '/api/events/stream';

/**
 * Keeps every deployment cache current from `/api/events/stream` and announces completed actions.
 * When the stream errors, views fall back to polling every 5 s (through LiveModeContext) and the
 * stream is retried; on reconnect the caches are refreshed once to catch up on what was missed.
 */
export function LiveUpdatesProvider({ children, createSource = openFetchEventSource, retryMs = 10_000 }: LiveUpdatesProviderProps) {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('connecting');
  // A new API token reopens the stream with it.
  const [tokenVersion, setTokenVersion] = useState(0);
  useEffect(() => onApiTokenChange(() => setTokenVersion((version) => version + 1)), []);

  useEffect(() => {
    let source: EventSourceLike | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let missedChanges = false;
    let disposed = false;

    const previousStatus = (deployment: Deployment) =>
      queryClient.getQueryData<Deployment>(deploymentKeys.detail(deployment.id))?.status ??
      queryClient.getQueryData<Deployment[]>(deploymentKeys.list())?.find((item) => item.id === deployment.id)?.status;

    const connect = () => {
      if (disposed) return;
      setMode((current) => (current === 'polling' ? current : 'connecting'));
      const current = createSource(STREAM_URL);
      source = current;
      current.addEventListener('ready', () => {
        setMode('live');
        if (missedChanges) void queryClient.invalidateQueries({ queryKey: deploymentKeys.all });
        missedChanges = false;
      });
      current.addEventListener('deployment', (event) => {
        const deployment = parseDeployment(event.data);
        if (!deployment) return;
        const notice = settledNotice(previousStatus(deployment), deployment);
        writeDeploymentChange(queryClient, { type: 'changed', deployment });
        if (notice) notifications.show({ ...notice, autoClose: 6_000 });
      });
      current.addEventListener('deployment-deleted', (event) => {
        const id = parseDeletedId(event.data);
        if (id) writeDeploymentChange(queryClient, { type: 'deleted', id });
      });
      current.onerror = () => {
        current.close();
        if (disposed) return;
        missedChanges = true;
        setMode('polling');
        clearTimeout(retry);
        retry = setTimeout(connect, retryMs);
      };
    };

    connect();
    return () => {
      disposed = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [createSource, queryClient, retryMs, tokenVersion]);

  return <LiveModeContext.Provider value={mode}>{children}</LiveModeContext.Provider>;
}

function parseDeployment(data: string): Deployment | null {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null && 'id' in value && 'status' in value && 'version' in value) return value as Deployment;
  } catch {
    // a malformed event is skipped; the next poll or event corrects the cache
  }
  return null;
}

function parseDeletedId(data: string): string | null {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string') return value.id;
  } catch {
    // skipped, as above
  }
  return null;
}
