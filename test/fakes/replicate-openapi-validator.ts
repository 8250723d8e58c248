import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Checks requests (and, in the fake's own tests, responses) against Replicate's official OpenAPI file,
 * so the fake refuses anything the real API would not accept by its schema. The file sits beside the
 * repository (shared/contracts), as it does in CI.
 */

const openApiUrl = new URL('../../../shared/contracts/replicate-openapi.json', import.meta.url);

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: unknown;
  $ref?: string;
}

interface OpenApiOperation {
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, unknown> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

export interface MatchedOperation {
  operationId: string;
  /** Path parameters by name, URL-decoded. */
  params: Record<string, string>;
}

interface CompiledOperation {
  operationId: string;
  method: string;
  pattern: RegExp;
  paramNames: string[];
  bodyRequired: boolean;
  body: ValidateFunction | null;
  headers: { name: string; required: boolean; validate: ValidateFunction | null }[];
  responses: Map<string, ValidateFunction>;
}

function pointer(...segments: string[]): string {
  return segments.map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function describeErrors(validate: ValidateFunction, where: string): string {
  return (validate.errors ?? [])
    .map((error) => {
      const at = `${where}${error.instancePath}`;
      const extra =
        'additionalProperty' in error.params ? ` '${String(error.params['additionalProperty'])}'` : '';
      return `${at} ${error.message ?? 'is invalid'}${extra}`;
    })
    .join('; ');
}

export class ReplicateOpenApiValidator {
  private readonly operations: CompiledOperation[] = [];
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor() {
    const document = JSON.parse(readFileSync(openApiUrl, 'utf8')) as {
      paths: Record<string, Record<string, OpenApiOperation>>;
      components: { parameters: Record<string, OpenApiParameter> };
    };
    addFormats.default(this.ajv);
    this.ajv.addSchema(document, 'replicate');
    for (const [template, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (typeof operation !== 'object' || !operation.operationId) continue;
        const paramNames: string[] = [];
        const pattern = new RegExp(
          `^${template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
            paramNames.push(name);
            return '([^/]+)';
          })}$`,
        );
        const bodySchemaAt = operation.requestBody?.content?.['application/json']
          ? `replicate#/${pointer('paths', template, method, 'requestBody', 'content', 'application/json', 'schema')}`
          : null;
        const parameters = (operation.parameters ?? []).map((parameter) =>
          parameter.$ref ? document.components.parameters[parameter.$ref.split('/').pop() ?? ''] : parameter,
        );
        const responses = new Map<string, ValidateFunction>();
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const content = response.content?.['application/json'];
          if (content) {
            responses.set(
              status,
              this.ajv.compile({ $ref: `replicate#/${pointer('paths', template, method, 'responses', status, 'content', 'application/json', 'schema')}` }),
            );
          }
        }
        this.operations.push({
          operationId: operation.operationId,
          method: method.toUpperCase(),
          pattern,
          paramNames,
          bodyRequired: operation.requestBody?.required === true,
          body: bodySchemaAt ? this.ajv.compile({ $ref: bodySchemaAt }) : null,
          headers: parameters
            .filter((parameter): parameter is OpenApiParameter => parameter?.in === 'header')
            .map((parameter) => ({
              name: parameter.name.toLowerCase(),
              required: parameter.required === true,
              validate: parameter.schema ? this.ajv.compile(parameter.schema as object) : null,
            })),
          responses,
        });
      }
    }
  }

  /** The operation a method and API path (without the `/v1` prefix) address, or null. */
  match(method: string, path: string): MatchedOperation | null {
    for (const operation of this.operations) {
      if (operation.method !== method.toUpperCase()) continue;
      const found = operation.pattern.exec(path);
      if (!found) continue;
      const params: Record<string, string> = {};
      operation.paramNames.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1] ?? '');
      });
      return { operationId: operation.operationId, params };
    }
    return null;
  }

  /** Violations of the operation's request schema (body and header parameters); empty when valid. */
  validateRequest(operationId: string, body: unknown, hasBody: boolean, headers: Record<string, string>): string[] {
    const operation = this.operations.find((candidate) => candidate.operationId === operationId);
    if (!operation) return [`unknown operation ${operationId}`];
    const violations: string[] = [];
    if (operation.body) {
      if (!hasBody) {
        if (operation.bodyRequired) violations.push('request body is required');
      } else if (!operation.body(body)) {
        violations.push(describeErrors(operation.body, 'body'));
      }
    } else if (hasBody) {
      violations.push(`${operationId} takes no request body`);
    }
    for (const header of operation.headers) {
      const value = headers[header.name];
      if (value === undefined) {
        if (header.required) violations.push(`header ${header.name} is required`);
        continue;
      }
      if (header.validate && !header.validate(value)) violations.push(describeErrors(header.validate, `header ${header.name}`));
    }
    return violations;
  }

  /** Violations of the operation's declared response schema for `status`; empty when valid or undeclared. */
  validateResponse(operationId: string, status: number, body: unknown): string[] {
    const operation = this.operations.find((candidate) => candidate.operationId === operationId);
    const validate = operation?.responses.get(String(status));
    if (!validate) return [];
    return validate(body) ? [] : [describeErrors(validate, 'response')];
  }
}

let shared: ReplicateOpenApiValidator | undefined;

/** One validator per process: compiling the schemas takes a few hundred ms, and they never change. */
export function replicateOpenApiValidator(): ReplicateOpenApiValidator {
  shared ??= new ReplicateOpenApiValidator();
  return shared;
}
