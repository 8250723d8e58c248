import type { EndpointTestBody, EndpointTestRecord, EndpointTestResult } from '../../api/types';
import { HISTORY_SIZE } from './api/get-endpoint-tests';

/** The history entry for a result that just arrived, as the server stores it, so it shows before the refetch. */
export function recordOfResult(deploymentId: string, adapterId: string | null, body: EndpointTestBody, result: EndpointTestResult): EndpointTestRecord {
  return {
    id: result.id,
    deploymentId,
    at: result.at,
    adapterId,
    request: { ...body },
    success: result.success,
    output: result.output,
    finishReason: result.finishReason,
    latencyMs: result.latencyMs,
    ttftMs: result.ttftMs,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    usageEstimated: result.usage.estimated,
    costUsd: result.costUsd,
    error: result.error,
  };
}

/** Adds a test to the history: newest first, each test once, at most the last 10. */
export function addToHistory(history: readonly EndpointTestRecord[], record: EndpointTestRecord, limit = HISTORY_SIZE): EndpointTestRecord[] {
  return [record, ...history.filter((item) => item.id !== record.id)]
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, limit);
}

/** The prompt a history entry was sent with, for display and for "run again". */
export function promptOf(record: EndpointTestRecord): string {
  const prompt = record.request['prompt'];
  if (typeof prompt === 'string') return prompt;
  const messages = record.request['messages'];
  if (Array.isArray(messages)) {
    const last = messages.at(-1) as { content?: unknown } | undefined;
    if (typeof last?.content === 'string') return last.content;
  }
  return '';
}
