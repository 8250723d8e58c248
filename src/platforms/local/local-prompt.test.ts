import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaCompletion, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoBaseModel, ensureDemoModel } from './demo-model.js';
import { disposeSharedLlama, getSharedLlama } from './llama-runtime.js';
import { renderPrompt, renderTranscript } from './local-prompt.js';

const chatMlTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

let directory: string;
let model: LlamaModel;
let templated: LlamaModel;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'modelport-prompt-'));
  const demo = await ensureDemoModel(directory);
  const templatedPath = join(directory, 'templated.gguf');
  await writeFile(templatedPath, buildDemoBaseModel({ chatTemplate: chatMlTemplate }));
  const llama = await getSharedLlama();
  model = await llama.loadModel({ modelPath: demo.basePath });
  templated = await llama.loadModel({ modelPath: templatedPath });
});
afterAll(async () => {
  await model.dispose();
  await templated.dispose();
  await disposeSharedLlama();
  await rm(directory, { recursive: true, force: true });
});

/** Runs a completion and returns what llama.cpp actually holds in the sequence afterwards. */
async function evaluate(target: LlamaModel, tokens: readonly Token[], maxTokens: number) {
  const context = await target.createContext({ contextSize: 256, threads: 1 });
  try {
    const sequence = context.getSequence();
    let generated = 0;
    const completion = new LlamaCompletion({ contextSequence: sequence });
    const result = await completion.generateCompletionWithMeta([...tokens], {
      maxTokens,
      repeatPenalty: false,
      onToken: (chunk) => {
        generated += chunk.length;
      },
    });
    return { contextTokens: [...sequence.contextTokens], generated, stopReason: result.metadata.stopReason };
  } finally {
    await context.dispose();
  }
}

describe('renderPrompt', () => {
  it('counts exactly the tokens llama.cpp evaluates: BOS plus the prompt as LlamaCompletion tokenizes it', async () => {
    const prompt = renderPrompt(model, { prompt: 'hello world, the cat sat on the mat' });
    expect(prompt.format).toBe('completion');
    // The pitfall: tokenize() with its defaults is not what gets evaluated.
    expect(model.tokenize('hello world, the cat sat on the mat').length).not.toBe(prompt.inputTokenCount);

    const { contextTokens, generated, stopReason } = await evaluate(model, prompt.tokens, 5);
    expect(stopReason).toBe('maxTokens');
    expect(generated).toBe(5);
    const bos = model.tokens.bos;
    expect(contextTokens.slice(0, prompt.inputTokenCount)).toEqual([bos, ...prompt.tokens]);
    // Every prompt token plus every generated token but the last (sampled, not yet fed back).
    expect(contextTokens).toHaveLength(prompt.inputTokenCount + generated - 1);
  });

  it('renders messages as a role transcript when the model has no chat template', async () => {
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'hello' },
      { role: 'assistant' as const, content: 'lorem' },
      { role: 'user' as const, content: 'tell me a story' },
    ];
    expect(renderTranscript(messages)).toBe('system: be brief\nuser: hello\nassistant: lorem\nuser: tell me a story\nassistant:');
    const prompt = renderPrompt(model, { messages });
    expect(prompt.format).toBe('transcript');
    expect(prompt.stopStrings).toEqual(['\nuser:', '\nsystem:']);
    expect(model.detokenize(prompt.tokens)).toBe(renderTranscript(messages));
    const { contextTokens } = await evaluate(model, prompt.tokens, 1);
    expect(contextTokens).toHaveLength(prompt.inputTokenCount);
  });

  it("uses the model's chat template when it has one, without a default system prompt or a second BOS", async () => {
    const prompt = renderPrompt(templated, { messages: [{ role: 'user', content: 'hello' }] });
    expect(prompt.format).toBe('chat-template');
    const text = templated.detokenize(prompt.tokens, true);
    // The demo vocabulary has no <|im_*|> tokens, so SPM spells them out (and adds word spaces).
    expect(text).toMatch(/<\|im_start\|>user\n\s*hello\s*<\|im_end\|>/);
    expect(text.trimEnd().endsWith('<|im_start|>assistant')).toBe(true);
    expect(text).not.toContain('system');
    expect(prompt.tokens[0]).not.toBe(templated.tokens.bos);
    expect(prompt.stopTriggers.length).toBeGreaterThan(0);

    const { contextTokens } = await evaluate(templated, prompt.tokens, 1);
    expect(contextTokens.filter((token) => token === templated.tokens.bos)).toHaveLength(1);
    expect(contextTokens).toHaveLength(prompt.inputTokenCount);
  });
});
