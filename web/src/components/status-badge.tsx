import { Badge, Loader, type BadgeProps } from '@mantine/core';
import type { DeploymentStatus } from '../api/types';
import { isTransient } from '../lib/core';
import { statusAppearance } from '../lib/status';

export interface StatusBadgeProps extends Omit<BadgeProps, 'color' | 'children'> {
  status: DeploymentStatus;
}

/** A deployment's status in its colour; transient statuses show a spinner so "still working" is visible. */
export function StatusBadge({ status, size = 'md', ...props }: StatusBadgeProps) {
  const appearance = statusAppearance[status];
  const transient = isTransient(status);
  return (
    <Badge
      variant="light"
      color={appearance.color}
      size={size}
      title={appearance.description}
      data-status={status}
      leftSection={transient ? <Loader size={10} color={appearance.color} aria-hidden /> : <StatusDot color={appearance.color} />}
      {...props}
    >
      {appearance.label}
    </Badge>
  );
}

function StatusDot({ color }: { color: string }) {
  return (
    <span
      aria-hidden
      style={{ display: 'inline-block', width: 7, height: 7, borderRadius: '50%', background: `var(--mantine-color-${color}-filled)` }}
    />
  );
}
