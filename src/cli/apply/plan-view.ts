import { formatValue } from '../output/format.js';
import type { Style } from '../output/style.js';
import { summarizePlan, type DeploymentPlanEntry, type FieldDiff, type Plan, type RoutePlanEntry } from './plan.js';

/**
 * The plan as text, in the spirit of `terraform plan`:
 *
 *   + create     support-bot (local, demo/tiny-llama, adapter demo/cat), then deploy
 *   ~ update     other-bot (active, updated in place)
 *         scaling.maxReplicas: 1 → 2
 *   = unchanged  third-bot (active)
 *   - delete     old-bot (active, stopped first)
 *
 *   Plan: 1 to create, 1 to update, 0 to deploy, 1 to delete, 1 unchanged.
 */
export function renderPlan(plan: Plan, style: Style): string {
  const lines: string[] = [];
  for (const entry of plan.deployments) lines.push(...deploymentLines(entry, style));
  for (const entry of plan.routes) lines.push(...routeLines(entry, style));
  if (lines.length === 0) lines.push(style.dim('  (the file lists no deployments)'));
  return `${lines.join('\n')}\n\n${renderSummary(plan)}\n`;
}

export function renderSummary(plan: Plan): string {
  const summary = summarizePlan(plan);
  const parts = [`${summary.create} to create`, `${summary.update} to update`];
  if (summary.replace > 0) parts.push(`${summary.replace} to replace`);
  parts.push(`${summary.deploy} to deploy`, `${summary.delete} to delete`, `${summary.unchanged} unchanged`);
  return `Plan: ${parts.join(', ')}.`;
}

const labelWidth = 'unchanged'.length;

function head(symbol: string, action: string, text: string, colour: (text: string) => string): string {
  return `  ${colour(`${symbol} ${action.padEnd(labelWidth)}`)}  ${text}`;
}

function deploymentLines(entry: DeploymentPlanEntry, style: Style): string[] {
  switch (entry.action) {
    case 'create': {
      const adapter = entry.spec.adapter ? `, adapter ${entry.spec.adapter.id}` : '';
      return [head('+', 'create', `${style.bold(entry.name)} (${entry.spec.platform}, ${entry.spec.baseModel}${adapter}), then deploy`, style.green)];
    }
    case 'update': {
      const how = entry.current.status === 'active' || entry.current.status === 'deploying' || entry.current.status === 'updating' ? 'updated in place' : 'then deploy';
      return [head('~', 'update', `${style.bold(entry.name)} (${entry.current.status}, ${how})`, style.yellow), ...diffLines(entry.diffs, style)];
    }
    case 'replace': {
      const note = entry.allowed ? 'delete, then create and deploy' : style.red('needs --replace: platform and baseModel cannot change in place');
      return [head('±', 'replace', `${style.bold(entry.name)} (${entry.current.status}, ${note})`, entry.allowed ? style.yellow : style.red), ...diffLines(entry.diffs, style)];
    }
    case 'unchanged': {
      const note = entry.deploy ? `${entry.current.status}, then deploy` : entry.current.status === 'failed' ? `failed; retry with \`modelport deployment deploy ${entry.name}\`` : entry.current.status;
      return [head('=', 'unchanged', `${entry.name} (${note})`, entry.deploy ? style.green : style.dim)];
    }
    case 'delete': {
      const running = entry.current.status !== 'pending' && entry.current.status !== 'stopped' && entry.current.status !== 'failed';
      return [head('-', 'delete', `${style.bold(entry.name)} (${entry.current.status}${running ? ', stopped first' : ''})`, style.red)];
    }
  }
}

function routeLines(entry: RoutePlanEntry, style: Style): string[] {
  const name = `route ${entry.name}`;
  switch (entry.action) {
    case 'create':
      return [head('+', 'create', style.bold(name), style.green)];
    case 'update':
      return [head('~', 'update', style.bold(name), style.yellow), ...diffLines(entry.diffs, style)];
    case 'unchanged':
      return [head('=', 'unchanged', name, style.dim)];
    case 'delete':
      return [head('-', 'delete', style.bold(name), style.red)];
  }
}

function diffLines(diffs: FieldDiff[], style: Style): string[] {
  return diffs.map((diff) => {
    if (diff.sensitive) {
      const change = diff.from === undefined ? 'added' : diff.to === undefined ? 'removed' : 'changed';
      return `        ${diff.field}: ${style.dim(`${change} (value hidden)`)}`;
    }
    return `        ${diff.field}: ${style.red(formatValue(diff.from))} → ${style.green(formatValue(diff.to))}`;
  });
}
