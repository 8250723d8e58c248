import { Code, Group, Text, Timeline } from '@mantine/core';
import type { DeploymentEvent } from '../../../api/types';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { statusAppearance } from '../../../lib/status';

/** "deploy-requested" → "Deploy requested". */
export function humanizeReason(reason: string): string {
  const words = reason.replace(/[-_]+/g, ' ').trim();
  return words ? words[0]?.toUpperCase() + words.slice(1) : 'Changed';
}

/** Details worth a line of their own: a provider message, a status, an error code, what changed. */
export function describeDetails(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  if (typeof details['message'] === 'string') lines.push(details['message']);
  if (typeof details['providerStatus'] === 'string') lines.push(`platform status: ${details['providerStatus']}`);
  if (typeof details['code'] === 'string') lines.push(`code: ${details['code']}`);
  if (Array.isArray(details['changed'])) lines.push(`changed: ${details['changed'].map(String).join(', ')}`);
  if (typeof details['timeoutMs'] === 'number') lines.push(`after ${Math.round(details['timeoutMs'] / 1000)} s`);
  return lines;
}

/** The deployment's transitions, newest first: the audit trail. */
export function EventTimeline({ events }: { events: DeploymentEvent[] }) {
  return (
    <Timeline bulletSize={14} lineWidth={2} active={-1} data-testid="event-timeline">
      {events.map((event) => {
        const look = statusAppearance[event.to];
        return (
          <Timeline.Item
            key={event.id}
            color={look.color}
            bullet={<span aria-hidden style={{ width: 8, height: 8, borderRadius: '50%', background: `var(--mantine-color-${look.color}-filled)` }} />}
            title={
              <Group gap={6} wrap="wrap">
                <Text size="sm" fw={600}>
                  {humanizeReason(event.reason)}
                </Text>
                <Text size="xs" c="dimmed">
                  {event.from ? `${statusAppearance[event.from].label} → ${look.label}` : look.label}
                </Text>
              </Group>
            }
          >
            {describeDetails(event.details).map((line) => (
              <Text key={line} size="xs" c={event.to === 'failed' ? 'red' : 'dimmed'} className="break-anywhere">
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
