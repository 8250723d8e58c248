import { Code, Group, Text, Timeline } from '@mantine/core';
import type { RouteEvent } from '../../../api/types';
import { formatDateTime, formatMs, formatPercent, formatRelative } from '../../../lib/format';
import { humanizeReason } from '../../deployments/components/event-timeline';

const KIND_LOOK: Record<string, { label: string; color: string }> = {
  'route-created': { label: 'Created', color: 'blue' },
  'route-updated': { label: 'Updated', color: 'blue' },
  'canary-started': { label: 'Canary started', color: 'yellow' },
  'canary-promoted': { label: 'Canary promoted', color: 'green' },
  'canary-rolled-back': { label: 'Canary rolled back', color: 'red' },
};

export function eventLook(kind: string): { label: string; color: string } {
  return KIND_LOOK[kind] ?? { label: humanizeReason(kind), color: 'gray' };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** One line of a canary decision's numbers: requests, error rate, latency and TTFT p95. */
function statsLine(label: string, stats: unknown): string | null {
  if (!isRecord(stats)) return null;
  const requests = num(stats['requests']);
  if (requests === null) return null;
  return `${label}: ${requests} requests · errors ${formatPercent(num(stats['errorRate']))} · p95 ${formatMs(num(stats['latencyP95Ms']))} · TTFT p95 ${formatMs(num(stats['ttftP95Ms']))}`;
}

/** What an event's details say, as lines: the explanation and the numbers of a canary decision, or what changed. */
export function describeRouteEvent(event: RouteEvent): string[] {
  const lines: string[] = [];
  const details = event.details;
  if (typeof details['explanation'] === 'string') lines.push(details['explanation']);
  const canary = statsLine('canary', details['canary']);
  if (canary) lines.push(canary);
  const baseline = statsLine('baseline', details['baseline']);
  if (baseline) lines.push(baseline);
  if (Array.isArray(details['changed']) && details['changed'].length > 0) lines.push(`changed: ${details['changed'].map(String).join(', ')}`);
  if (event.kind === 'canary-started' && isRecord(details['canary'])) {
    const started = details['canary'];
    if (typeof started['deployment'] === 'string' && num(started['weight']) !== null) lines.push(`${started['weight']} % of traffic to ${started['deployment']}`);
  }
  return lines;
}

/** The route's history, newest first: edits and canary decisions with their reasons and numbers. */
export function RouteEventTimeline({ events }: { events: RouteEvent[] }) {
  return (
    <Timeline bulletSize={14} lineWidth={2} active={-1} data-testid="route-event-timeline">
      {events.map((event) => {
        const look = eventLook(event.kind);
        return (
          <Timeline.Item
            key={event.id}
            color={look.color}
            bullet={<span aria-hidden style={{ width: 8, height: 8, borderRadius: '50%', background: `var(--mantine-color-${look.color}-filled)` }} />}
            title={
              <Group gap={6} wrap="wrap">
                <Text size="sm" fw={600}>
                  {look.label}
                </Text>
                <Text size="xs" c="dimmed">
                  {humanizeReason(event.reason)} · v{event.routeVersion}
                </Text>
              </Group>
            }
          >
            {describeRouteEvent(event).map((line) => (
              <Text key={line} size="xs" c={event.kind === 'canary-rolled-back' ? 'red' : 'dimmed'} className="break-anywhere">
                {line}
              </Text>
            ))}
            <Text size="xs" c="dimmed" mt={2} title={formatDateTime(event.at)}>
              {formatRelative(event.at)} · by <Code fz="xs">{event.actor}</Code>
            </Text>
          </Timeline.Item>
        );
      })}
    </Timeline>
  );
}
