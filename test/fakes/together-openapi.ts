import { readFile } from 'node:fs/promises';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Checks requests (and, for the fake's own test, responses) against Together's OpenAPI file, the
 * provider's own contract. The file is large, so it is parsed once per process and only the schemas an
 * operation needs are compiled, lazily.
 */

const openApiUrl = new URL('../../../shared/contracts/together-openapi.yaml', import.meta.url);

/** The operations the fake serves, as written in the OpenAPI file (paths are relative to `/v1`). */
export const togetherOperations = [
  { method: 'GET', path: '/endpoints' },
  { method: 'POST', path: '/endpoints' },
  { method: 'GET', path: '/endpoints/{endpointId}' },
  { method: 'PATCH', path: '/endpoints/{endpointId}' },
  { method: 'DELETE', path: '/endpoints/{endpointId}' },
  { method: 'GET', path: '/hardware' },
  { method: 'GET', path: '/models' },
  { method: 'POST', path: '/models' },
  { method: 'GET', path: '/jobs' },
  { method: 'GET', path: '/jobs/{jobId}' },
  { method: 'POST', path: '/chat/completions' },
  { method: 'POST', path: '/completions' },
] as const;
export type TogetherOperation = (typeof togetherOperations)[number];

export interface TogetherContractValidator {
  /** Null when the request is valid; otherwise a message naming the violation. */
  checkRequest(operation: TogetherOperation, query: Record<string, string>, body: unknown): string | null;
  /** Null when `data` matches `#/components/schemas/<schemaName>`; otherwise the violation. */
  checkSchema(schemaName: string, data: unknown): string | null;
  /** Null when `data` matches the operation's JSON response for `status`; otherwise the violation. */
  checkResponse(operation: TogetherOperation, status: number, data: unknown): string | null;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

let cached: Promise<TogetherContractValidator> | undefined;

/** The validator for this process (the OpenAPI file is parsed once). */
export function loadTogetherContract(): Promise<TogetherContractValidator> {
  cached ??= buildValidator();
  return cached;
}

async function buildValidator(): Promise<TogetherContractValidator> {
  const document = asObject(parse(await readFile(openApiUrl, 'utf8')) as Json, 'OpenAPI document');
  const components = asObject(document['components'] ?? null, 'components');
  const paths = asObject(document['paths'] ?? null, 'paths');

  const operations: JsonObject = {};
  for (const operation of togetherOperations) {
    const definition = asObject(asObject(paths[operation.path] ?? null, operation.path)[operation.method.toLowerCase()] ?? null, operation.path);
    const entry: JsonObject = { query: querySchema(definition) };
    const body = jsonContentSchema(definition['requestBody'] ?? null);
    if (body !== null) entry['body'] = body;
    const responses: JsonObject = {};
    for (const [status, response] of Object.entries(asObject(definition['responses'] ?? {}, 'responses'))) {
      const schema = jsonContentSchema(response);
      if (schema !== null) responses[status] = schema;
    }
    entry['responses'] = responses;
    operations[operationKey(operation)] = entry;
  }

  // One synthetic schema document: the spec's `#/components/schemas/...` refs resolve inside it unchanged.
  const root = openApiToJsonSchema({ $id: 'together', components: { schemas: components['schemas'] ?? {} }, operations }) as JsonObject;

  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, logger: false });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (value: number) => Number.isInteger(value) && Math.abs(value) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isInteger(value) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('binary', true);
  ajv.addSchema(root);

  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string): ValidateFunction | null => {
    const existing = compiled.get(pointer);
    if (existing) return existing;
    const validate = ajv.getSchema(`together#${pointer}`) ?? null;
    if (validate) compiled.set(pointer, validate);
    return validate;
  };
  const run = (pointer: string, data: unknown, dataVar: string): string | null => {
    const validate = validatorAt(pointer);
    if (validate === null) return `no schema at ${pointer}`;
    return validate(data) ? null : ajv.errorsText(validate.errors, { dataVar, separator: '; ' });
  };

  return {
    checkRequest(operation, query, body) {
      const key = operationKey(operation);
      const entry = asObject(operations[key] ?? null, key);
      const querySchemaObject = asObject(entry['query'] ?? null, 'query');
      const queryViolation = run(`/operations/${key}/query`, coerceQuery(querySchemaObject, query), 'query');
      if (queryViolation !== null) return `${operation.method} ${operation.path}: ${queryViolation}`;
      if (entry['body'] === undefined) return null;
      const bodyViolation = run(`/operations/${key}/body`, body, 'body');
      return bodyViolation === null ? null : `${operation.method} ${operation.path}: ${bodyViolation}`;
    },
    checkSchema(schemaName, data) {
      return run(`/components/schemas/${schemaName}`, data, schemaName);
    },
    checkResponse(operation, status, data) {
      return run(`/operations/${operationKey(operation)}/responses/${status}`, data, 'response');
    },
  };
}

function operationKey(operation: TogetherOperation): string {
  return `${operation.method}${operation.path.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

/** Query parameters as one object schema. Unknown parameters are refused: the spec is the whole contract. */
function querySchema(definition: JsonObject): JsonObject {
  const properties: JsonObject = {};
  const required: Json[] = [];
  const parameters = definition['parameters'];
  for (const parameter of Array.isArray(parameters) ? parameters : []) {
    const object = asObject(parameter, 'parameter');
    if (object['in'] !== 'query' || typeof object['name'] !== 'string') continue;
    properties[object['name']] = object['schema'] ?? {};
    if (object['required'] === true) required.push(object['name']);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

function jsonContentSchema(holder: Json): Json | null {
  if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) return null;
  const content = holder['content'];
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return null;
  const json = content['application/json'];
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return null;
  return json['schema'] ?? null;
}

/** Query values arrive as strings; give booleans and numbers their declared type before validating. */
function coerceQuery(schema: JsonObject, query: Record<string, string>): Record<string, unknown> {
  const properties = asObject(schema['properties'] ?? {}, 'properties');
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    const property = properties[name];
    const type = property !== null && typeof property === 'object' && !Array.isArray(property) ? property['type'] : undefined;
    if (type === 'boolean' && (value === 'true' || value === 'false')) result[name] = value === 'true';
    else if ((type === 'integer' || type === 'number') && value.trim() !== '' && Number.isFinite(Number(value))) result[name] = Number(value);
    else result[name] = value;
  }
  return result;
}

/**
 * OpenAPI 3.0 habits that survive in this 3.1 file: `nullable: true` beside a type. JSON Schema 2020
 * has no such keyword, so it becomes a type union (or an anyOf with null when there is no type).
 */
function openApiToJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(openApiToJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) result[key] = openApiToJsonSchema(value);
  if (result['nullable'] !== true) return result;
  delete result['nullable'];
  const type = result['type'];
  if (typeof type === 'string') {
    result['type'] = [type, 'null'];
    if (Array.isArray(result['enum'])) result['enum'] = [...result['enum'], null];
    return result;
  }
  if (Array.isArray(type)) {
    result['type'] = [...type, 'null'];
    return result;
  }
  const { description, ...rest } = result;
  const wrapped: JsonObject = { anyOf: [rest, { type: 'null' }] };
  if (description !== undefined) wrapped['description'] = description;
  return wrapped;
}

function asObject(value: Json | undefined, what: string): JsonObject {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`together-openapi.yaml: ${what} is not an object`);
  }
  return value;
}

// ajv-formats ships CommonJS with a default export; under NodeNext the callable sits on `.default`.
function addFormats(ajv: Ajv2020): void {
  const loaded = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin };
  const plugin = loaded.default ?? loaded;
  plugin(ajv);
}
