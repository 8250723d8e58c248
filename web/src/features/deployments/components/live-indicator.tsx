import { Badge, Tooltip } from '@mantine/core';
import { useLiveMode } from '../live/live-mode';

const appearance = {
  live: { color: 'green', label: 'Live', tip: 'Status changes arrive as they happen (server-sent events).' },
  connecting: { color: 'gray', label: 'Connecting', tip: 'Opening the live status stream…' },
  polling: { color: 'orange', label: 'Polling', tip: 'The live stream is unavailable; refreshing every 5 s and retrying the stream.' },
} as const;

/** Whether statuses are live or polled, so a stale screen is never a surprise. */
export function LiveIndicator() {
  const mode = useLiveMode();
  const look = appearance[mode];
  return (
    <Tooltip label={look.tip} multiline w={260}>
      <Badge variant="dot" color={look.color} size="lg" data-testid="live-indicator" data-mode={mode} visibleFrom="xs" tabIndex={0}>
        {look.label}
      </Badge>
    </Tooltip>
  );
}
