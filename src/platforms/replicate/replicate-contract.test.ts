import { describeConnectorContract } from '../contract/connector-contract.js';
import { startReplicateFake } from '../../../test/fakes/replicate-fake.js';
import { replicateSpec, replicateTestContext } from '../../../test/fakes/replicate-test-support.js';
import { createReplicateConnector } from './replicate-connector.js';

describeConnectorContract('replicate', async () => {
  // A cold boot of 30 virtual seconds: the first observes see `starting`, `advance` boots the instance.
  const fake = await startReplicateFake({ scenario: { coldBootMs: 30_000 } });
  return {
    connector: createReplicateConnector(),
    spec: replicateSpec(),
    context: (deploymentId) => replicateTestContext(fake, { deploymentId }),
    advance: async () => fake.advance(10_000),
    countResources: () => fake.deployments().length,
    slowInvoke: () => fake.setScenario({ streamTokenDelayMs: 50, generationMs: 60_000, reply: ['one', ' two', ' three', ' four'] }),
    teardown: async () => {
      if (fake.violations.length > 0) throw new Error(`requests broke replicate-openapi.json: ${fake.violations.join('; ')}`);
      await fake.close();
    },
  };
});
