// What the gateway benchmarks send and how the fake upstream answers, in one place, so that run.ts and
// the A/B and tail probes measure the same requests.

/** How the fake upstream answers: whole answers after 20 ms or at once, or a stream (first token after 20 ms, 16 tokens 1 ms apart). */
export const answerAfter20Ms = { latencyMs: 20, ttftMs: 0, tokens: 16, tokenIntervalMs: 0 };
export const answerAtOnce = { latencyMs: 0, ttftMs: 0, tokens: 16, tokenIntervalMs: 0 };
export const streamAfter20Ms = { latencyMs: 0, ttftMs: 20, tokens: 16, tokenIntervalMs: 1 };

/** Through modelport `model` names the deployment (`bench`); called directly, the upstream's model (`bench-model`). */
export function completionBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Say hello to the benchmark.' }],
    max_tokens: 64,
    ...(stream ? { stream: true } : {}),
  });
}
