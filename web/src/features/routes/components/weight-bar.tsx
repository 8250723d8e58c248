import { Group, Progress, Text, Tooltip } from '@mantine/core';
import type { Route } from '../../../api/types';
import { formatShare, weightShares } from '../route-form-model';

const COLORS = ['indigo', 'teal', 'grape', 'orange', 'cyan', 'pink', 'lime', 'yellow'];

/** The colour of the n-th target, the same in the bar and in its legend. */
export function targetColor(index: number): string {
  return COLORS[index % COLORS.length] ?? 'gray';
}

export function targetLabel(target: { deployment: string; adapter?: string | null }): string {
  return target.adapter ? `${target.deployment}:${target.adapter}` : target.deployment;
}

/** How a route's traffic is split: one bar section per target, with a legend of shares. */
export function WeightBar({ targets, legend = true }: { targets: Route['targets']; legend?: boolean }) {
  const shares = weightShares(targets.map((target) => target.weight));
  return (
    <div>
      <Progress.Root size="md" aria-label={`Traffic split: ${targets.map((target, index) => `${targetLabel(target)} ${formatShare(shares[index] ?? 0)}`).join(', ')}`}>
        {targets.map((target, index) => (
          <Tooltip key={`${targetLabel(target)}-${index}`} label={`${targetLabel(target)} · weight ${target.weight} · ${formatShare(shares[index] ?? 0)}`}>
            <Progress.Section value={shares[index] ?? 0} color={targetColor(index)} />
          </Tooltip>
        ))}
      </Progress.Root>
      {legend && (
        <Group gap="xs" mt={4} wrap="wrap">
          {targets.map((target, index) => (
            <Group key={`${targetLabel(target)}-${index}`} gap={4} wrap="nowrap">
              <span aria-hidden style={{ width: 8, height: 8, borderRadius: 2, background: `var(--mantine-color-${targetColor(index)}-filled)` }} />
              <Text size="xs" ff="monospace" className="break-anywhere">
                {targetLabel(target)}
              </Text>
              <Text size="xs" c="dimmed">
                {formatShare(shares[index] ?? 0)}
              </Text>
            </Group>
          ))}
        </Group>
      )}
    </div>
  );
}
