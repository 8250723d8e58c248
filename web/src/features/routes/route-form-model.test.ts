// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { Route } from '../../api/types';
import { RouteCreateSchema } from '../../lib/route-schemas';
import { emptyRouteForm, formatShare, mapRouteIssues, parseCanaryJson, toChangesBody, toCreateBody, valuesOfRoute, weightShares, type RouteFormValues } from './route-form-model';

const route = (overrides: Partial<Route> = {}): Route => ({
  id: 'rt_1',
  name: 'support-chat',
  targets: [
    { deployment: 'chat-a', weight: 3 },
    { deployment: 'chat-b', adapter: 'tone-v2', weight: 1 },
  ],
  fallbacks: [{ deployment: 'chat-backup' }],
  stickyHeader: 'x-user-id',
  firstTokenTimeoutMs: null,
  canary: null,
  version: 4,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  ...overrides,
});

describe('weightShares', () => {
  it('turns relative weights into percentages of their total', () => {
    expect(weightShares([3, 1])).toEqual([75, 25]);
    expect(weightShares([1, 1, 1]).map((share) => share.toFixed(4))).toEqual(['33.3333', '33.3333', '33.3333']);
    expect(weightShares([500, 0, 500])).toEqual([50, 0, 50]);
  });

  it('gives zeros, not NaN, when nothing has weight, and ignores negative or non-finite weights', () => {
    expect(weightShares([0, 0])).toEqual([0, 0]);
    expect(weightShares([])).toEqual([]);
    expect(weightShares([-5, Number.NaN, 2])).toEqual([0, 0, 100]);
  });

  it('formats shares with a decimal only when needed', () => {
    expect(formatShare(75)).toBe('75 %');
    expect(formatShare(100 / 3)).toBe('33.3 %');
  });
});

describe('form → request body', () => {
  const values: RouteFormValues = {
    name: ' support-chat ',
    targets: [
      { key: 'a', deployment: 'chat-a', adapter: '', weight: 90 },
      { key: 'b', deployment: 'chat-b', adapter: ' tone-v2 ', weight: 10 },
    ],
    fallbacks: [
      { key: 'c', deployment: 'chat-backup', adapter: '' },
      { key: 'd', deployment: 'chat-last', adapter: '' },
    ],
    stickyHeader: '',
    canaryJson: '',
  };

  it('builds the create body the server accepts: trimmed, empty optionals as null, fallbacks in order', () => {
    const body = toCreateBody(values);
    expect(body).toEqual({
      name: 'support-chat',
      targets: [
        { deployment: 'chat-a', weight: 90 },
        { deployment: 'chat-b', adapter: 'tone-v2', weight: 10 },
      ],
      fallbacks: [{ deployment: 'chat-backup' }, { deployment: 'chat-last' }],
      stickyHeader: null,
      canary: null,
    });
    expect(RouteCreateSchema.safeParse(body).success).toBe(true);
  });

  it('sends the canary JSON as an object', () => {
    const body = toCreateBody({ ...values, stickyHeader: 'x-user-id', canaryJson: '{"deployment":"chat-c","weight":5}' });
    expect(body.stickyHeader).toBe('x-user-id');
    expect(body.canary).toEqual({ deployment: 'chat-c', weight: 5 });
  });

  it('explains canary text that is not a JSON object', () => {
    expect(parseCanaryJson('  ')).toEqual({ ok: true, canary: null });
    expect(parseCanaryJson('{nope').ok).toBe(false);
    expect(parseCanaryJson('[1]').ok).toBe(false);
  });

  it('a cleared weight fails the shared schema on that row, not somewhere else', () => {
    const body = toCreateBody({ ...values, targets: [{ key: 'a', deployment: 'chat-a', adapter: '', weight: '' }] });
    const result = RouteCreateSchema.safeParse(body);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(mapRouteIssues(result.error.issues).fields).toHaveProperty(['targets.0.weight']);
  });

  it('round-trips an existing route without changes, and sends only what changed', () => {
    const existing = route();
    const form = valuesOfRoute(existing);
    expect(toChangesBody(existing, form)).toEqual({});

    const reordered = { ...form, fallbacks: [...form.fallbacks, { key: 'x', deployment: 'chat-last', adapter: '' }].reverse() };
    expect(toChangesBody(existing, reordered)).toEqual({ fallbacks: [{ deployment: 'chat-last' }, { deployment: 'chat-backup' }] });
    expect(toChangesBody(existing, { ...form, stickyHeader: '' })).toEqual({ stickyHeader: null });
  });

  it('leaves a running canary alone unless its text changed, and clearing it stops it', () => {
    const running = route({
      canary: { deployment: 'chat-c', weight: 10, windowMs: 600_000, minRequests: 100, maxErrorRateDelta: 0.02, maxLatencyP95Ratio: 1.5, maxTtftP95Ratio: 1.5, startedAt: '2026-01-02T00:00:00.000Z' },
    });
    const form = valuesOfRoute(running);
    expect(form.canaryJson).not.toContain('startedAt');
    expect(toChangesBody(running, { ...form, targets: form.targets.map((row) => ({ ...row, weight: 1 })) })).not.toHaveProperty('canary');
    expect(toChangesBody(running, { ...form, canaryJson: '' })).toEqual({ canary: null });
  });
});

describe('mapRouteIssues', () => {
  it('puts server issues next to the row and field they name; the rest goes to the summary', () => {
    const mapped = mapRouteIssues([
      { path: 'targets.1.deployment', message: "no deployment named 'nope'" },
      { path: 'fallbacks.0', message: 'bad' },
      { path: 'stickyHeader', message: 'a lower-case header name such as x-user-id' },
      { path: 'canary.weight', message: 'Too big: expected number to be <=50' },
      { path: 'firstTokenTimeoutMs', message: 'too small' },
    ]);
    expect(mapped.fields).toEqual({
      'targets.1.deployment': "no deployment named 'nope'",
      'fallbacks.0.deployment': 'bad',
      stickyHeader: 'a lower-case header name such as x-user-id',
      canaryJson: 'weight: Too big: expected number to be <=50',
    });
    expect(mapped.other).toEqual(['firstTokenTimeoutMs: too small']);
  });

  it('starts an empty form with one full-weight target', () => {
    const form = emptyRouteForm();
    expect(form.targets).toHaveLength(1);
    expect(form.targets[0]?.weight).toBe(100);
  });
});
