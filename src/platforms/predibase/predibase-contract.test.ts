import { startPredibaseHarness } from '../../../test/fakes/predibase-harness.js';
import { describeConnectorContract } from '../contract/connector-contract.js';

describeConnectorContract('predibase (private deployment)', async () => {
  const harness = await startPredibaseHarness();
  return {
    connector: harness.connector,
    spec: harness.spec(),
    context: (deploymentId) => harness.context(deploymentId),
    // Each observe already moves the fake one step; no extra waiting needed.
    advance: async () => undefined,
    countResources: () => harness.fake.deployments().length,
    slowInvoke: () => harness.fake.setTokenDelay(30),
    teardown: () => harness.close(),
  };
});

describeConnectorContract('predibase (shared endpoint)', async () => {
  const harness = await startPredibaseHarness();
  return {
    connector: harness.connector,
    spec: harness.sharedSpec(),
    context: (deploymentId) => harness.context(deploymentId),
    // Predibase owns shared endpoints: destroy has nothing to remove, so the endpoint stays up.
    attachOnly: true,
    countResources: () => harness.fake.deployments().length,
    slowInvoke: () => harness.fake.setTokenDelay(30),
    teardown: () => harness.close(),
  };
});
