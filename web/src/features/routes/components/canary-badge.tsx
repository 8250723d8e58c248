import { Badge, Tooltip } from '@mantine/core';
import type { Route } from '../../../api/types';
import { formatDateTime } from '../../../lib/format';
import { targetLabel } from './weight-bar';

/** Whether a canary is running on the route, and where its traffic goes. */
export function CanaryBadge({ canary }: { canary: Route['canary'] }) {
  if (!canary) {
    return (
      <Badge variant="default" size="sm" data-testid="canary-badge">
        no canary
      </Badge>
    );
  }
  return (
    <Tooltip label={`started ${formatDateTime(canary.startedAt)}; judged after ${Math.round(canary.windowMs / 60_000)} min and ${canary.minRequests} requests`}>
      <Badge color="yellow" variant="light" size="sm" data-testid="canary-badge">
        canary {canary.weight} % → {targetLabel(canary)}
      </Badge>
    </Tooltip>
  );
}
