import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { TestRequestBody } from '../client.js';
import { collect, parseInteger, parseNumber } from '../options.js';
import { formatTestSummary } from '../output/test-summary.js';
import { withExamples, type ContextFactory } from './command-kit.js';

interface TestFlags {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  adapter?: string | false;
  timeoutMs?: number;
}

/**
 * `modelport test <name> "<prompt>"`: streams the answer as it is generated, then one line with TTFT,
 * latency, tokens and cost. A failed inference exits with its error code's exit code.
 */
export function registerTestCommand(program: Command, contextFor: ContextFactory): void {
  withExamples(
    program
      .command('test <name> <prompt...>')
      .description('send a prompt to a deployment, stream the answer, and show TTFT, latency, tokens and cost')
      .option('--max-tokens <n>', 'most tokens to generate (default 128)', parseInteger)
      .option('--temperature <t>', 'sampling temperature 0–2 (default 0.7)', parseNumber)
      .option('--top-p <p>', 'nucleus sampling 0–1 (default 1)', parseNumber)
      .option('--stop <text>', 'stop sequence (repeatable, up to 4)', collect)
      .option('--adapter <id>', "adapter to use instead of the deployment's default")
      .option('--no-adapter', 'test the base model without any adapter')
      .option('--timeout-ms <ms>', "override the deployment's request timeout for this test", parseInteger),
    ['modelport test support-bot "Where is my order?"', 'modelport test support-bot "Say hi" --max-tokens 32 --temperature 0', 'modelport test support-bot "Say hi" --no-adapter --json'],
  ).action(async (name: string, promptWords: string[], options: TestFlags, command: Command) => {
    const context = contextFor(command);
    const body: TestRequestBody = { prompt: promptWords.join(' ') };
    if (options.maxTokens !== undefined) body.maxTokens = options.maxTokens;
    if (options.temperature !== undefined) body.temperature = options.temperature;
    if (options.topP !== undefined) body.topP = options.topP;
    if (options.stop) body.stop = options.stop;
    if (options.adapter === false) body.adapter = null;
    else if (options.adapter !== undefined) body.adapter = options.adapter;
    if (options.timeoutMs !== undefined) body.timeoutMs = options.timeoutMs;

    let streamed = '';
    const result = await context.client.testStream(name, body, (text) => {
      streamed += text;
      context.print(text);
    });
    if (context.json) context.printJson(result);
    else {
      // The final output is authoritative (stop strings may trim what was streamed): show any remainder.
      if (result.output.startsWith(streamed) && result.output.length > streamed.length) context.print(result.output.slice(streamed.length));
      context.print(`${streamed === '' && result.output === '' ? '' : '\n'}\n${formatTestSummary(result, context.style)}\n`);
    }
    if (!result.success) {
      const error = result.error ?? { code: 'internal_error', message: 'the test failed' };
      throw new CliError(error.code, `the test failed: ${error.message}`);
    }
  });
}
