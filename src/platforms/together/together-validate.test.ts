import { describe, expect, it } from 'vitest';
import { dedicatedSpec, serverlessSpec } from '../../../test/fakes/together-harness.js';
import { validateTogetherSpec } from './together-validate.js';

const paths = (issues: { path: string }[]) => issues.map((issue) => issue.path);

describe('together spec validation', () => {
  it('accepts a dedicated endpoint and a serverless adapter', () => {
    expect(validateTogetherSpec(dedicatedSpec())).toEqual([]);
    expect(validateTogetherSpec(serverlessSpec())).toEqual([]);
    expect(
      validateTogetherSpec(
        dedicatedSpec({ platformOptions: { together: { inactiveTimeoutMinutes: 0, onDestroy: 'stop', availabilityZone: 'us-central-4b' } } }),
      ),
    ).toEqual([]);
  });

  it('infers the mode from hardware, and checks the explicit one', () => {
    expect(paths(validateTogetherSpec(dedicatedSpec({ platformOptions: { together: { mode: 'serverless' } } })))).toContain('hardware');
    expect(paths(validateTogetherSpec(serverlessSpec({ adapter: null, platformOptions: { together: { mode: 'dedicated' } } })))).toEqual(['hardware']);
  });

  it('reports what a dedicated endpoint cannot do', () => {
    expect(paths(validateTogetherSpec(dedicatedSpec({ hardware: 'H100' })))).toEqual(['hardware']);
    expect(paths(validateTogetherSpec(dedicatedSpec({ adapter: { id: 'acme/lora' } })))).toEqual(['adapter']);
    expect(paths(validateTogetherSpec(dedicatedSpec({ extraAdapters: [{ id: 'acme/lora' }] })))).toEqual(['extraAdapters']);
    expect(paths(validateTogetherSpec(dedicatedSpec({ scaling: { minReplicas: 1, maxReplicas: 2, scaleDownDelaySeconds: 300 } })))).toEqual([
      'scaling.scaleDownDelaySeconds',
    ]);
    expect(paths(validateTogetherSpec(dedicatedSpec({ env: { HF_HOME: '/data' } })))).toEqual(['env']);
  });

  it('reports what serverless cannot do', () => {
    expect(paths(validateTogetherSpec(serverlessSpec({ scaling: { minReplicas: 1, maxReplicas: 3 } })))).toEqual(['scaling']);
    expect(paths(validateTogetherSpec(serverlessSpec({ platformOptions: { together: { inactiveTimeoutMinutes: 10 } } })))).toEqual([
      'platformOptions.together.inactiveTimeoutMinutes',
    ]);
    expect(paths(validateTogetherSpec(serverlessSpec({ adapter: { id: 'acme/lora', source: 'pbase' } })))).toEqual(['adapter.source']);
    expect(paths(validateTogetherSpec(serverlessSpec({ adapter: { id: 'acme/lora', scale: 0.5 } })))).toEqual(['adapter.scale']);
    expect(validateTogetherSpec(serverlessSpec({ adapter: { id: 'https://bucket.s3.amazonaws.com/lora.tar.gz?sig=x', source: 's3' } }))).toEqual([]);
  });

  it('reports bad or unknown options instead of throwing', () => {
    const issues = validateTogetherSpec(dedicatedSpec({ platformOptions: { together: { inactiveTimeout: 5, onDestroy: 'shred' } } }));
    expect(issues.length).toBeGreaterThanOrEqual(2);
    expect(paths(issues).every((path) => path.startsWith('platformOptions.together'))).toBe(true);
    expect(validateTogetherSpec(dedicatedSpec({ platformOptions: { together: 'yes' } }))).not.toEqual([]);
  });
});
