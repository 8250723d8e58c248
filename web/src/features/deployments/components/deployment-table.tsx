import { Anchor, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { memo } from 'react';
import { Link } from 'react-router';
import type { Deployment } from '../../../api/types';
import { StatusBadge } from '../../../components/status-badge';
import { formatRelative } from '../../../lib/format';
import { QuickLinks } from './deployment-card';
import { PrimaryLifecycleAction } from './deployment-actions';
import { EndpointLine, PlatformBadge } from './deployment-summary';

/** The dashboard's list view: denser than the grid, for many deployments. */
export function DeploymentTable({ deployments }: { deployments: Deployment[] }) {
  return (
    <Table.ScrollContainer minWidth={920}>
      <Table verticalSpacing="sm" highlightOnHover striped="even" aria-label="Deployments">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Platform</Table.Th>
            <Table.Th>Model / adapter</Table.Th>
            <Table.Th>Endpoint</Table.Th>
            <Table.Th>Updated</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {deployments.map((deployment) => (
            <DeploymentRow key={deployment.id} deployment={deployment} />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

const DeploymentRow = memo(function DeploymentRow({ deployment }: { deployment: Deployment }) {
  return (
    <Table.Tr data-testid="deployment-row" data-name={deployment.name} data-status={deployment.status}>
      <Table.Td>
        <Anchor component={Link} to={`/deployments/${deployment.id}`} fw={600} size="sm">
          {deployment.name}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <StatusBadge status={deployment.status} size="sm" />
      </Table.Td>
      <Table.Td>
        <PlatformBadge platform={deployment.platform} />
      </Table.Td>
      <Table.Td maw={260}>
        <Text size="sm" ff="monospace" truncate="end" title={deployment.config.baseModel}>
          {deployment.config.baseModel}
        </Text>
        {deployment.config.adapter && (
          <Text size="xs" c="dimmed" ff="monospace" truncate="end" title={deployment.config.adapter.id}>
            + {deployment.config.adapter.id}
          </Text>
        )}
      </Table.Td>
      <Table.Td maw={280}>
        <EndpointLine deployment={deployment} withLabel={false} />
      </Table.Td>
      <Table.Td>
        <Text size="sm" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
          {formatRelative(deployment.updatedAt)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Group gap={6} wrap="nowrap" justify="flex-end">
          <QuickLinks deployment={deployment} />
          <PrimaryLifecycleAction deployment={deployment} />
        </Group>
      </Table.Td>
    </Table.Tr>
  );
});
