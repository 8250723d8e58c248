import { Group, Paper, Text, ThemeIcon, UnstyledButton } from '@mantine/core';
import type { ReactNode } from 'react';

export interface StatCardProps {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  icon?: ReactNode;
  color?: string;
  /** Makes the card a button (e.g. filter by this status); `active` marks it pressed. */
  onClick?: () => void;
  active?: boolean;
  testId?: string;
}

/** One number with its label, used on the dashboard and in the metrics view. */
export function StatCard({ label, value, hint, icon, color = 'indigo', onClick, active, testId }: StatCardProps) {
  const body = (
    <Paper
      withBorder
      radius="md"
      p="md"
      h="100%"
      data-testid={testId}
      style={active ? { borderColor: `var(--mantine-color-${color}-filled)`, boxShadow: `0 0 0 1px var(--mantine-color-${color}-filled)` } : undefined}
    >
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div style={{ minWidth: 0 }}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={700} lts={0.4}>
            {label}
          </Text>
          <Text fw={700} fz={26} lh={1.25} mt={4} data-testid={testId ? `${testId}-value` : undefined}>
            {value}
          </Text>
          {hint && (
            <Text size="xs" c="dimmed" mt={2}>
              {hint}
            </Text>
          )}
        </div>
        {icon && (
          <ThemeIcon variant="light" color={color} size={38} radius="md" aria-hidden>
            {icon}
          </ThemeIcon>
        )}
      </Group>
    </Paper>
  );
  if (!onClick) return body;
  return (
    <UnstyledButton onClick={onClick} aria-pressed={active ?? false} aria-label={`${label}: filter`} style={{ display: 'block', height: '100%', borderRadius: 'var(--mantine-radius-md)' }}>
      {body}
    </UnstyledButton>
  );
}
