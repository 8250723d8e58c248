import { Badge, Group, Text } from '@mantine/core';
import type { Deployment } from '../../../api/types';
import { CopyValue } from '../../../components/copy-value';
import { platformLabel } from '../../../lib/platform-labels';

/** Base model and adapter on one line. */
export function ModelLine({ deployment }: { deployment: Deployment }) {
  const adapter = deployment.config.adapter;
  return (
    <Text size="sm" className="break-anywhere" lineClamp={2}>
      <Text span c="dimmed" size="sm">
        Model{' '}
      </Text>
      <Text span ff="monospace" size="sm">
        {deployment.config.baseModel}
      </Text>
      {adapter && (
        <>
          <Text span c="dimmed" size="sm">
            {' '}
            + adapter{' '}
          </Text>
          <Text span ff="monospace" size="sm">
            {adapter.id}
          </Text>
        </>
      )}
    </Text>
  );
}

export function PlatformBadge({ platform }: { platform: string }) {
  return (
    <Badge variant="outline" color="gray" size="sm" radius="sm" tt="none">
      {platformLabel(platform)}
    </Badge>
  );
}

/** The endpoint URL with a copy button, or why there is none yet. */
export function EndpointLine({ deployment, withLabel = true }: { deployment: Deployment; withLabel?: boolean }) {
  if (!deployment.endpointUrl) {
    return (
      <Text size="sm" c="dimmed">
        {withLabel ? 'Endpoint: ' : ''}available once active
      </Text>
    );
  }
  return (
    <Group gap={4} wrap="nowrap" style={{ minWidth: 0 }}>
      {withLabel && (
        <Text size="sm" c="dimmed" style={{ flexShrink: 0 }}>
          Endpoint
        </Text>
      )}
      <Text size="sm" ff="monospace" truncate="end" style={{ minWidth: 0 }} title={deployment.endpointUrl}>
        {deployment.endpointUrl}
      </Text>
      <CopyValue value={deployment.endpointUrl} label={`Copy endpoint URL of ${deployment.name}`} size="xs" />
    </Group>
  );
}
