import { createHash } from 'node:crypto';

/**
 * The Modal app name of a deployment. Derived from the deployment id alone, so a repeated deploy
 * (after a crash, a lost reference, a retry) targets the same app: `modal deploy` of an existing name
 * updates that app in place instead of creating a second one.
 *
 * Shape: `mp-<first 12 id characters>-<8 hex of SHA-256(id)>`. The hash keeps ids that share a prefix
 * (time-ordered ids do) apart; the prefix keeps the name recognisable on Modal's dashboard. Lower-case
 * letters, digits and dashes only, 24 characters at most, so the default web label
 * `<app>-serve` stays well inside a 63-character DNS label.
 */
export function modalAppName(deploymentId: string): string {
  const readable = deploymentId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 12)
    .replace(/-+$/g, '');
  const digest = createHash('sha256').update(deploymentId).digest('hex').slice(0, 8);
  return readable === '' ? `mp-${digest}` : `mp-${readable}-${digest}`;
}

/** The function in the app file that serves HTTP; part of the endpoint label Modal prints. */
export const modalServeFunction = 'serve';
