import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validates LoRAX inference request bodies against LoRAX's own published OpenAPI file
 * (shared/contracts/lorax-openapi.json, which sits beside the repository), so the Predibase fake rejects
 * what the real router would not understand.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const contractUrl = new URL('../../../shared/contracts/lorax-openapi.json', import.meta.url);

/** The request schemas the fake checks, by LoRAX component name. */
export type LoraxRequestSchema = 'ChatCompletionRequest' | 'CompletionRequest' | 'GenerateRequest' | 'CompatGenerateRequest';

export interface LoraxValidation {
  valid: boolean;
  /** Human-readable violations, each naming the field (`/messages/0/content must be string`). */
  errors: string[];
}

export interface LoraxValidator {
  validate(schema: LoraxRequestSchema, body: unknown): LoraxValidation;
}

/**
 * OpenAPI 3.0 writes `exclusiveMinimum: true` beside `minimum`; JSON Schema (what ajv speaks) wants the
 * bound itself in `exclusiveMinimum`. Converting keeps LoRAX's own limits (top_p > 0, max_tokens > 0).
 */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    // `example` and `default` are documentation; LoRAX's defaults ("null" for numbers) are not valid values.
    if (key === 'example' || key === 'default') continue;
    out[key] = toJsonSchema(value);
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const exclusive = out[flag];
    if (typeof exclusive !== 'boolean') continue;
    const limit = out[bound];
    delete out[flag];
    if (exclusive && typeof limit === 'number') {
      out[flag] = limit;
      delete out[bound];
    }
  }
  // `delta` in the stream schema combines `type` with `$ref`; keep the `$ref` only.
  if (typeof out['$ref'] === 'string') delete out['type'];
  return out;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'body' : error.instancePath;
  if (error.keyword === 'required' && typeof error.params['missingProperty'] === 'string') {
    return `${where} is missing required property '${error.params['missingProperty']}'`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

export function createLoraxValidator(): LoraxValidator {
  const document = JSON.parse(readFileSync(contractUrl, 'utf8')) as { components: { schemas: Json } };
  const ajv = new Ajv({ allErrors: true, strict: false });
  const addFormats = addFormatsModule as unknown as (instance: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addFormat('uint32', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= 0 && value < 2 ** 32 });
  ajv.addFormat('uint64', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= 0 });
  ajv.addSchema({ $id: 'lorax', components: { schemas: toJsonSchema(document.components.schemas) } });

  const compiled = new Map<LoraxRequestSchema, ValidateFunction>();
  const validatorFor = (schema: LoraxRequestSchema): ValidateFunction => {
    const existing = compiled.get(schema);
    if (existing) return existing;
    const created = ajv.compile({ $ref: `lorax#/components/schemas/${schema}` });
    compiled.set(schema, created);
    return created;
  };

  return {
    validate(schema, body) {
      const validate = validatorFor(schema);
      if (validate(body)) return { valid: true, errors: [] };
      return { valid: false, errors: (validate.errors ?? []).map(describe) };
    },
  };
}
