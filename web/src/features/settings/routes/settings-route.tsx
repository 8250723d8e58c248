import { Stack } from '@mantine/core';
import { PageHeader } from '../../../components/page-header';
import { ApiTokensSection } from '../components/api-tokens-section';
import { CredentialsSection } from '../components/credentials-section';

/** `/settings`: API tokens and provider credentials (admin only; others see why, not a crash). */
export function SettingsRoute() {
  return (
    <>
      <PageHeader title="Settings" description="Who may use this server, and the keys it uses for the platforms." />
      <Stack gap="xl">
        <ApiTokensSection />
        <CredentialsSection />
      </Stack>
    </>
  );
}
