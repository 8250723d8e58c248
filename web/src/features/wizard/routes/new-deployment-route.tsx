import { Center, Loader } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { PageHeader } from '../../../components/page-header';
import { ProblemAlert } from '../../../components/problem-alert';
import { useDeployments } from '../../deployments/api/get-deployments';
import { usePlatforms } from '../../platforms/api/get-platforms';
import { DeploymentWizard } from '../components/deployment-wizard';

/** `/new`: the deployment wizard, once the platform catalogue is known. */
export function NewDeploymentRoute() {
  useDocumentTitle('New deployment · modelport');
  const [searchParams] = useSearchParams();
  const platforms = usePlatforms();
  const deployments = useDeployments();
  const existingNames = useMemo(() => new Set((deployments.data ?? []).map((deployment) => deployment.name)), [deployments.data]);
  return (
    <>
      <PageHeader title="New deployment" description="Four steps: platform, model, resources, review. Nothing is created until the last one." />
      {platforms.isPending ? (
        <Center py={80}>
          <Loader aria-label="Loading platforms" />
        </Center>
      ) : platforms.isError ? (
        <ProblemAlert error={platforms.error} title="Could not load the platforms" onRetry={() => void platforms.refetch()} />
      ) : (
        <DeploymentWizard platforms={platforms.data} existingNames={existingNames} initialPlatform={searchParams.get('platform')} />
      )}
    </>
  );
}
