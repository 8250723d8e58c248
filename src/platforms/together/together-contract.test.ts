import { describeConnectorContract } from '../contract/connector-contract.js';
import { dedicatedSpec, serverlessSpec, startTogetherHarness } from '../../../test/fakes/together-harness.js';

/** The shared connector contract, once per Together mode, against the fake provider. */

describeConnectorContract('together (dedicated endpoint)', async () => {
  const harness = await startTogetherHarness();
  return {
    connector: harness.connector,
    spec: dedicatedSpec(),
    context: (deploymentId) => harness.context(deploymentId),
    advance: async () => harness.fake.advance(2_000),
    countResources: () => harness.fake.endpoints().length,
    slowInvoke: () => harness.fake.setStreamDelay(50),
    teardown: () => harness.close(),
  };
});

describeConnectorContract('together (serverless adapter)', async () => {
  const harness = await startTogetherHarness();
  return {
    connector: harness.connector,
    spec: serverlessSpec(),
    context: (deploymentId) => harness.context(deploymentId),
    advance: async () => harness.fake.advance(2_000),
    countResources: () => harness.fake.jobs().length,
    // Nothing runs for one deployment on the shared fleet, and the v1 API cannot delete an uploaded
    // adapter: destroy removes nothing, so the model still answers afterwards (like openai-compatible).
    attachOnly: true,
    slowInvoke: () => harness.fake.setStreamDelay(50),
    invokeRequest: {
      messages: [{ role: 'user', content: 'Say hello.' }],
      adapterId: 'acme/support-lora',
      maxTokens: 16,
      temperature: 0,
      topP: 1,
      stop: [],
    },
    teardown: () => harness.close(),
  };
});
