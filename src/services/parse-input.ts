import type { z } from 'zod';
import { ValidationError } from '../core/errors/index.js';

/** Parses untrusted input with a zod schema; failures become one ValidationError listing every issue. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.infer<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  const summary = issues
    .slice(0, 5)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join('; ');
  throw new ValidationError(`invalid ${what}: ${summary}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`, issues);
}
