import type { Command } from 'commander';
import { renderPlatforms } from '../output/platform-view.js';
import { withExamples, type ContextFactory } from './command-kit.js';

/** `modelport platforms`: the platforms the server knows, whether each is configured, what it misses. */
export function registerPlatformsCommand(program: Command, contextFor: ContextFactory): void {
  withExamples(program.command('platforms').alias('platform').description('list platforms: configured or not, and which credentials are missing'), [
    'modelport platforms',
    'modelport platforms --json | jq ".items[] | {id, hardware}"',
  ]).action(async (_options: unknown, command: Command) => {
    const context = contextFor(command);
    const items = await context.client.platforms();
    if (context.json) context.printJson({ items });
    else context.print(renderPlatforms(items, context.style));
  });
}
