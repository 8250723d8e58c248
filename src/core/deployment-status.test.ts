import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from './errors/index.js';
import {
  assertDeletable,
  canApply,
  deploymentActions,
  deploymentStatuses,
  nextStatus,
  type DeploymentStatus,
} from './deployment-status.js';

/** The design's state machine, written out independently of the implementation's table. */
const legal = new Set([
  'pending>deploying',
  'deploying>active',
  'deploying>failed',
  'active>updating',
  'updating>active',
  'updating>failed',
  'pending>stopping',
  'deploying>stopping',
  'active>stopping',
  'updating>stopping',
  'failed>stopping',
  'stopping>stopped',
  'stopped>deploying',
  'failed>deploying',
]);

describe('deployment state machine', () => {
  it('random action sequences only ever take legal edges, and refusals change nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...deploymentActions), { maxLength: 60 }), (actions) => {
        let status: DeploymentStatus = 'pending';
        const history: string[] = [];
        for (const action of actions) {
          if (canApply(action, status)) {
            const next = nextStatus(action, status);
            expect(legal.has(`${status}>${next}`)).toBe(true);
            history.push(`${status}>${next}`);
            status = next;
          } else {
            expect(() => nextStatus(action, status)).toThrow(InvalidTransitionError);
          }
          expect(deploymentStatuses).toContain(status);
        }
        // Every transition that happened is one event: the history replays to the final status.
        expect(history.reduce((current, edge) => (edge.startsWith(`${current}>`) ? edge.split('>')[1]! : 'broken'), 'pending')).toBe(status);
      }),
    );
  });

  it('every legal edge is reachable by some action', () => {
    const reachable = new Set<string>();
    for (const status of deploymentStatuses)
      for (const action of deploymentActions) if (canApply(action, status)) reachable.add(`${status}>${nextStatus(action, status)}`);
    expect(reachable).toEqual(legal);
  });

  it('names the allowed statuses when refusing', () => {
    expect(() => nextStatus('deploy', 'active')).toThrow(/cannot deploy a deployment that is active \(allowed from: pending, stopped, failed\)/);
  });

  it('allows delete only where nothing runs', () => {
    for (const status of deploymentStatuses) {
      const deletable = status === 'pending' || status === 'stopped' || status === 'failed';
      if (deletable) expect(() => assertDeletable(status)).not.toThrow();
      else expect(() => assertDeletable(status)).toThrow(InvalidTransitionError);
    }
  });
});
