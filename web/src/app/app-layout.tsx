import { ActionIcon, Anchor, AppShell, Box, Button, Container, Group, Progress, Text, Tooltip, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { IconApi, IconLogout, IconMoon, IconPlus, IconSun } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet, ScrollRestoration, useNavigation } from 'react-router';
import { LiveIndicator } from '../features/deployments/components/live-indicator';
import { onApiTokenChange, readApiToken, saveApiToken } from '../lib/api-token';
import classes from './app-layout.module.css';

/** Header with navigation, live-status and theme switch; the routed view below it. */
export function AppLayout() {
  const navigation = useNavigation();
  return (
    <AppShell header={{ height: 60 }} padding={0}>
      <AppShell.Header>
        {navigation.state !== 'idle' && (
          <Progress value={100} animated striped size={3} radius={0} className={classes.progress} aria-label="Loading page" />
        )}
        <Container size="xl" h="100%">
          <Group h="100%" justify="space-between" wrap="nowrap" gap="sm">
            <Group gap="sm" wrap="nowrap">
              <Anchor component={Link} to="/" underline="never" className={classes.brand} aria-label="modelport home">
                <Logo />
                <Text fw={800} fz="lg" visibleFrom="xs">
                  modelport
                </Text>
              </Anchor>
              <nav aria-label="Main">
                <Group gap={4} wrap="nowrap">
                  <NavLink to="/" end className={classes.link}>
                    Deployments
                  </NavLink>
                  <NavLink to="/routes" className={classes.link}>
                    Routes
                  </NavLink>
                  <NavLink to="/settings" className={classes.link}>
                    Settings
                  </NavLink>
                </Group>
              </nav>
            </Group>
            <Group gap="xs" wrap="nowrap">
              <LiveIndicator />
              <Button component={Link} to="/new" size="xs" leftSection={<IconPlus size={14} aria-hidden />} visibleFrom="sm">
                New deployment
              </Button>
              <Tooltip label="New deployment" hiddenFrom="sm">
                <ActionIcon component={Link} to="/new" variant="filled" size="lg" hiddenFrom="sm" aria-label="New deployment">
                  <IconPlus size={18} aria-hidden />
                </ActionIcon>
              </Tooltip>
              <Tooltip label="API reference (OpenAPI)">
                <ActionIcon visibleFrom="xs" component="a" href="/docs" target="_blank" rel="noreferrer" variant="default" size="lg" aria-label="API reference">
                  <IconApi size={18} aria-hidden />
                </ActionIcon>
              </Tooltip>
              <SignOut />
              <ColorSchemeToggle />
            </Group>
          </Group>
        </Container>
      </AppShell.Header>
      <AppShell.Main>
        <Container size="xl" py="xl" px={{ base: 'md', sm: 'xl' }}>
          <Outlet />
        </Container>
        <Box component="footer" py="md" />
      </AppShell.Main>
      <ScrollRestoration />
    </AppShell>
  );
}

/** Forget the stored API token (only shown when one is stored). */
function SignOut() {
  const [hasToken, setHasToken] = useState(() => readApiToken() !== null);
  useEffect(() => onApiTokenChange(() => setHasToken(readApiToken() !== null)), []);
  if (!hasToken) return null;
  return (
    <Tooltip label="Forget the API token in this browser">
      <ActionIcon variant="default" size="lg" onClick={() => saveApiToken(null)} aria-label="Forget the API token">
        <IconLogout size={18} aria-hidden />
      </ActionIcon>
    </Tooltip>
  );
}

function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: false });
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon variant="default" size="lg" onClick={() => setColorScheme(next)} aria-label={`Switch to ${next} theme`}>
        {computed === 'dark' ? <IconSun size={18} aria-hidden /> : <IconMoon size={18} aria-hidden />}
      </ActionIcon>
    </Tooltip>
  );
}

function Logo() {
  return (
    <svg width="28" height="28" viewBox="0 0 32 32" aria-hidden>
      <rect width="32" height="32" rx="7" fill="var(--mantine-color-indigo-filled)" />
      <path d="M8 22V10l8 7 8-7v12" fill="none" stroke="#fff" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
