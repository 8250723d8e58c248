import fc from 'fast-check';

/**
 * fast-check values from the JSON Schemas of an OpenAPI document (the subset zod emits: type, enum,
 * const, anyOf/oneOf/allOf, properties/required/additionalProperties, items, length and range
 * bounds, pattern, $ref), plus mutations that break a valid value in one place.
 */

export type JsonSchema = Record<string, unknown>;

const maxDepth = 5;

export function schemaArbitrary(schema: unknown, root: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (!isRecord(schema) || depth > maxDepth) return fc.constant(null);
  if (typeof schema['$ref'] === 'string') return schemaArbitrary(resolveRef(schema['$ref'], root), root, depth + 1);
  if ('const' in schema) return fc.constant(schema['const']);
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return fc.constantFrom(...(schema['enum'] as unknown[]));
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return fc.oneof(...options.map((option) => schemaArbitrary(option, root, depth + 1)));
  }
  if (Array.isArray(schema['allOf']) && schema['allOf'].length > 0) return schemaArbitrary(schema['allOf'][0], root, depth + 1);
  const type = schema['type'];
  if (Array.isArray(type)) return fc.oneof(...type.map((single) => schemaArbitrary({ ...schema, type: single }, root, depth)));
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: bound(schema, 'minimum', 'exclusiveMinimum', 1, -1_000_000), max: bound(schema, 'maximum', 'exclusiveMaximum', -1, 1_000_000) });
    case 'number': {
      const min = numberOr(schema['minimum'], numberOr(schema['exclusiveMinimum'], -1e6));
      const max = numberOr(schema['maximum'], numberOr(schema['exclusiveMaximum'], 1e6));
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: 'exclusiveMinimum' in schema, maxExcluded: 'exclusiveMaximum' in schema });
    }
    case 'string':
      return stringArbitrary(schema);
    case 'array': {
      const minLength = numberOr(schema['minItems'], 0);
      return fc.array(schemaArbitrary(schema['items'] ?? {}, root, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(numberOr(schema['maxItems'], 3), 3)) });
    }
    case 'object':
      return objectArbitrary(schema, root, depth);
    default:
      return isRecord(schema['properties']) ? objectArbitrary(schema, root, depth) : fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(schema: JsonSchema, root: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) shape[name] = schemaArbitrary(property, root, depth + 1);
  const known = fc.record(shape, { requiredKeys: required.filter((name) => name in shape) });
  const extra = schema['additionalProperties'];
  if (isRecord(extra) && Object.keys(properties).length === 0) {
    const keys = isRecord(schema['propertyNames']) ? stringArbitrary(schema['propertyNames']) : fc.string({ minLength: 1, maxLength: 12 });
    return fc.dictionary(keys, schemaArbitrary(extra, root, depth + 1), { maxKeys: 3 });
  }
  return known;
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = numberOr(schema['minLength'], 0);
  const maxLength = Math.max(minLength, Math.min(numberOr(schema['maxLength'], 40), 40));
  if (typeof schema['pattern'] === 'string') {
    try {
      const pattern = new RegExp(schema['pattern'], 'u');
      return fc.stringMatching(pattern).filter((value) => value.length >= minLength && value.length <= numberOr(schema['maxLength'], Number.MAX_SAFE_INTEGER));
    } catch {
      // a pattern JavaScript cannot read: plain strings
    }
  }
  return fc.oneof(fc.string({ minLength, maxLength }), fc.string({ minLength, maxLength, unit: 'grapheme' }));
}

function bound(schema: JsonSchema, inclusive: string, exclusive: string, step: number, fallback: number): number {
  const value = schema[inclusive] ?? (typeof schema[exclusive] === 'number' ? (schema[exclusive] as number) + step : undefined);
  const number = typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, number));
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function resolveRef(reference: string, root: JsonSchema): unknown {
  if (!reference.startsWith('#/')) return {};
  let node: unknown = root;
  for (const part of reference.slice(2).split('/')) node = isRecord(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return node ?? {};
}

/** One break in an otherwise valid value: a field replaced by anything, a field dropped, a field added. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.nat(), fc.constantFrom('replace', 'drop', 'add'), fc.anything({ maxDepth: 2 }), fc.string({ minLength: 1, maxLength: 10 }))
    .map(([value, pick, kind, replacement, extraKey]) => {
      const copy = structuredClone(value);
      const targets: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
      collect(copy, targets);
      const target = targets[pick % Math.max(targets.length, 1)];
      if (target === undefined) return replacement;
      if (kind === 'drop' && !Array.isArray(target.parent)) delete target.parent[target.key as string];
      else if (kind === 'add' && !Array.isArray(target.parent)) target.parent[extraKey] = replacement;
      else (target.parent as Record<string | number, unknown>)[target.key] = replacement;
      return copy;
    });
}

function collect(value: unknown, into: { parent: Record<string, unknown> | unknown[]; key: string | number }[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      into.push({ parent: value, key: index });
      collect(item, into);
    });
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      into.push({ parent: value, key });
      collect(item, into);
    }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
