import type { DeploymentEventView, DeploymentView } from '../client.js';
import { formatAge, formatMs, truncate } from './format.js';
import type { Style } from './style.js';
import { renderDetails, renderTable } from './table.js';

/** `modelport deployment list`: one row per deployment. */
export function renderDeploymentTable(deployments: DeploymentView[], style: Style, now: number): string {
  if (deployments.length === 0) return 'No deployments yet. Create one with `modelport deployment create` or `modelport apply -f modelport.yaml`.\n';
  return renderTable(
    [{ header: 'NAME' }, { header: 'PLATFORM' }, { header: 'STATUS' }, { header: 'SINCE' }, { header: 'BASE MODEL' }, { header: 'ADAPTER' }, { header: 'MESSAGE' }],
    deployments.map((deployment) => [
      deployment.name,
      deployment.platform,
      style.status(deployment.status),
      formatAge(deployment.statusSince, now),
      truncate(deployment.config.baseModel, 40),
      truncate(adapterLabel(deployment), 30),
      truncate(deployment.lastError ? `${deployment.lastError.message} (${deployment.lastError.code})` : (deployment.statusMessage ?? ''), 50),
    ]),
    { headerStyle: style.bold },
  );
}

/** `modelport deployment get`: the whole record, readable. */
export function renderDeploymentDetails(deployment: DeploymentView, style: Style, now: number): string {
  const { config } = deployment;
  const pairs: [string, string][] = [
    ['name', style.bold(deployment.name)],
    ['id', deployment.id],
    ['status', `${style.status(deployment.status)} (since ${formatAge(deployment.statusSince, now)})${deployment.statusMessage ? ` ${style.dim(deployment.statusMessage)}` : ''}`],
    ['platform', deployment.platform],
    ['base model', config.baseModel],
    ['adapter', adapterLabel(deployment) || '(none: the base model)'],
  ];
  if (config.extraAdapters.length > 0) pairs.push(['extra adapters', config.extraAdapters.map((adapter) => adapter.id).join(', ')]);
  pairs.push(
    ['hardware', config.hardware ?? '(platform default)'],
    ['replicas', `${config.scaling.minReplicas}–${config.scaling.maxReplicas}${config.scaling.scaleDownDelaySeconds === undefined ? '' : `, scale down after ${config.scaling.scaleDownDelaySeconds}s idle`}`],
    ['timeouts', `request ${formatMs(config.timeouts.requestMs)}, deploy ${formatMs(config.timeouts.deployMs)}`],
  );
  const envNames = Object.keys(config.env);
  if (envNames.length > 0) pairs.push(['env', envNames.join(', ')]);
  if (Object.keys(config.platformOptions).length > 0) pairs.push(['platform options', JSON.stringify(config.platformOptions)]);
  pairs.push(['endpoint', deployment.endpointUrl ? `${deployment.endpointUrl} (model: ${deployment.name})` : style.dim('(not deployed)')]);
  if (deployment.providerEndpointUrl) pairs.push(['provider endpoint', deployment.providerEndpointUrl]);
  if (deployment.providerStatus) pairs.push(['provider status', deployment.providerStatus]);
  if (deployment.lastError) pairs.push(['last error', style.red(`${deployment.lastError.message} (${deployment.lastError.code}, ${formatAge(deployment.lastError.at, now)})`)]);
  pairs.push(['created', `${deployment.createdAt} (${formatAge(deployment.createdAt, now)})`]);
  let text = renderDetails(pairs, { keyStyle: style.dim });
  for (const notice of deployment.notices) text += `\n${style.yellow('note:')} ${notice}\n`;
  return text;
}

/** `modelport deployment events`: the history, newest first. */
export function renderEvents(events: DeploymentEventView[], style: Style, now: number): string {
  if (events.length === 0) return 'No events.\n';
  return renderTable(
    [{ header: 'WHEN' }, { header: 'AT' }, { header: 'FROM' }, { header: 'TO' }, { header: 'REASON' }, { header: 'BY' }],
    events.map((event) => [formatAge(event.at, now), event.at, event.from ?? '–', style.status(event.to), event.reason, event.actor]),
    { headerStyle: style.bold },
  );
}

function adapterLabel(deployment: DeploymentView): string {
  const adapter = deployment.config.adapter;
  const extra = deployment.config.extraAdapters.length;
  return `${adapter?.id ?? ''}${extra > 0 ? ` (+${extra})` : ''}`;
}
