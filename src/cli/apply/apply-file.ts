import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DeploymentSpecSchema, type DeploymentSpec } from '../../core/deployment-spec.js';
import { CliError } from '../cli-error.js';
import { parseSourceFile, validateSource, type SourceFile } from './source-file.js';

/**
 * A route as written in the file. Routes are young on the server, so the CLI only insists on a name and
 * leaves the rest for the server to judge.
 */
export const RouteEntrySchema = z.looseObject({ name: z.string().min(1).max(200) });
export type RouteEntry = z.infer<typeof RouteEntrySchema>;

/** `modelport.yaml`: deployments (each exactly what POST /api/deployments takes) and optional routes. */
export const ApplyFileSchema = z
  .strictObject({
    deployments: z.array(DeploymentSpecSchema).default([]),
    /** Absent: routes are not managed by this file. Present (even `[]`): the file is their truth. */
    routes: z.array(RouteEntrySchema).optional(),
  })
  .superRefine((file, context) => {
    for (const [key, items] of [
      ['deployments', file.deployments],
      ['routes', file.routes ?? []],
    ] as const) {
      const firstIndex = new Map<string, number>();
      items.forEach((item, index) => {
        const earlier = firstIndex.get(item.name);
        if (earlier === undefined) firstIndex.set(item.name, index);
        else context.addIssue({ code: 'custom', path: [key, index, 'name'], message: `'${item.name}' is already defined at ${key}[${earlier}]` });
      });
    }
  });

export interface ApplyFile {
  source: SourceFile;
  deployments: DeploymentSpec[];
  /** null when the file has no `routes` key (routes are left alone). */
  routes: RouteEntry[] | null;
}

/** Reads and validates an apply file; every problem points at its line and column. */
export async function loadApplyFile(filePath: string, cwd: string): Promise<ApplyFile> {
  const source = parseSourceFile(await readSourceText(filePath, cwd), filePath);
  if (source.value === null || source.value === undefined) {
    throw new CliError('validation_failed', `${filePath} is empty: it needs a 'deployments:' list`);
  }
  const file = validateSource(source, ApplyFileSchema);
  return { source, deployments: file.deployments, routes: file.routes ?? null };
}

/** Reads a file given on the command line; a missing or unreadable one is a usage error. */
export async function readSourceText(filePath: string, cwd: string): Promise<string> {
  try {
    return await readFile(path.resolve(cwd, filePath), 'utf8');
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new CliError('usage', `cannot read ${filePath}: ${reason}`, { cause: error });
  }
}
