import { Alert, Button, Group, List, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconBulb, IconRefresh } from '@tabler/icons-react';
import { problemOf } from '../api/api-error';
import { hintFor, type HintContext } from '../api/problem-hints';

export interface ProblemAlertProps {
  /** Anything thrown by a fetcher (ApiError carries the server's problem+json). */
  error: unknown;
  /** Heading; the problem's own title when absent. */
  title?: string;
  onRetry?: () => void;
  hintContext?: HintContext;
  /** Field issues are shown next to their fields; leave them out here. */
  hideIssues?: boolean;
}

/** The server's problem: its detail, field issues, and what to do about it. */
export function ProblemAlert({ error, title, onRetry, hintContext, hideIssues = false }: ProblemAlertProps) {
  const problem = problemOf(error);
  const hint = hintFor(problem, hintContext);
  const issues = hideIssues ? [] : (problem.issues ?? []);
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />} title={title ?? problem.title} role="alert" data-problem-code={problem.code}>
      <Stack gap="xs">
        <Text size="sm" data-testid="problem-detail">
          {problem.detail}
        </Text>
        {issues.length > 0 && (
          <List size="sm" spacing={2}>
            {issues.map((issue) => (
              <List.Item key={`${issue.path}:${issue.message}`}>
                {issue.path ? <Text span fw={600} ff="monospace" size="sm">{issue.path}</Text> : null}
                {issue.path ? ': ' : ''}
                {issue.message}
              </List.Item>
            ))}
          </List>
        )}
        {hint && (
          <Group gap={6} wrap="nowrap" align="flex-start">
            <IconBulb size={16} aria-hidden style={{ flexShrink: 0, marginTop: 2 }} />
            <Text size="sm" c="dimmed" data-testid="problem-hint">
              {hint}
            </Text>
          </Group>
        )}
        {onRetry && (
          <Group>
            <Button size="xs" variant="light" color="red" leftSection={<IconRefresh size={14} aria-hidden />} onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}
