import { readFileSync } from 'node:fs';
import type { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { OpenAPIBackend, type Request as OpenApiRequest } from 'openapi-backend';
import { parse } from 'yaml';

// ajv-formats is CommonJS; under ESM its default export is the plugin function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** One request as an emulator received it. */
export interface ContractRequest {
  method: string;
  /** The path without the query string, e.g. `/api/tasks/3`. */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/** A request or response the published schema does not allow, naming the operation and why. */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
  constructor(
    readonly where: string,
    readonly problems: string[],
  ) {
    super(`${where} breaks the published contract:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * The published OpenAPI schemas use `nullable: true` without a `type` beside `$ref`/`allOf`,
 * which OpenAPI 3.0 allows and ajv refuses to compile. Such a `nullable` only widens the
 * schema; rewriting it as `anyOf [schema, {type: null}]`-equivalent would change nothing we
 * rely on, so it is wrapped in an `anyOf` with `{ enum: [null] }` to keep null accepted.
 */
function normalizeNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalizeNullable);
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node).map(([key, value]) => [key, normalizeNullable(value)]);
  const object = Object.fromEntries(entries) as Record<string, unknown>;
  if (object.nullable === true && object.type === undefined) {
    const { nullable: _nullable, ...rest } = object;
    return { anyOf: [rest, { enum: [null] }] };
  }
  return object;
}

/**
 * openapi-backend drops a request path's trailing slash before matching (it serves both
 * forms), but compares it to the document's paths as written, so a spec whose paths end in
 * `/` (Label Studio's) matches nothing. Both tools serve both forms, so the document's paths
 * lose their trailing slash too.
 */
function withoutTrailingSlashes(document: unknown): unknown {
  if (typeof document !== 'object' || document === null) return document;
  const { paths } = document as { paths?: Record<string, unknown> };
  if (paths === undefined) return document;
  const renamed = Object.entries(paths).map(([path, item]) => [
    path.length > 1 ? path.replace(/\/+$/, '') : path,
    item,
  ]);
  return { ...document, paths: Object.fromEntries(renamed) };
}

/**
 * A tool's published OpenAPI contract, loaded once: emulators call `checkRequest` on every
 * request they receive and `checkResponse` on every response they send, and throw (failing
 * the test) on any mismatch. Validation is openapi-backend's (ajv), not hand-written checks.
 */
export class OpenApiContract {
  private constructor(private readonly api: OpenAPIBackend) {}

  static async load(specPath: string): Promise<OpenApiContract> {
    const definition = withoutTrailingSlashes(
      normalizeNullable(parse(readFileSync(specPath, 'utf8'))),
    );
    const api = new OpenAPIBackend({
      // biome-ignore lint/suspicious/noExplicitAny: openapi-backend's Document type is its own
      definition: definition as any,
      strict: false,
      validate: true,
      // Quick mode skips openapi-backend's meta-schema check of the document, which throws on
      // the Label Studio spec's deviations and then leaves the API with no operations at all;
      // it also compiles each operation's validators on first use, so a load stays cheap.
      quick: true,
      coerceTypes: true,
      // Formats are added below; the specs' own few unknown formats are not worth a log line.
      ajvOpts: { logger: false },
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    // openapi-backend checks the document against the OpenAPI meta-schema and, in non-strict
    // mode, only warns: the published specs carry a few meta-schema deviations we cannot fix.
    const warn = console.warn;
    console.warn = () => {};
    try {
      await api.init();
    } finally {
      console.warn = warn;
    }
    return new OpenApiContract(api);
  }

  /** The operation a request matches (its `operationId`), or a violation when none does. */
  operationOf(request: ContractRequest): string {
    const operation = this.api.matchOperation(toOpenApiRequest(request));
    if (!operation?.operationId) {
      throw new ContractViolation(`${request.method.toUpperCase()} ${request.path}`, [
        'no operation of the published schema matches this method and path',
      ]);
    }
    return operation.operationId;
  }

  /** Throws a {@link ContractViolation} unless the request is valid; returns its operationId. */
  checkRequest(request: ContractRequest): string {
    const operationId = this.operationOf(request);
    const result = this.api.validateRequest(toOpenApiRequest(request), operationId);
    if (!result.valid) {
      throw new ContractViolation(
        `request ${operationId} (${request.method.toUpperCase()} ${request.path})`,
        (result.errors ?? []).map(describeError),
      );
    }
    return operationId;
  }

  /** Throws a {@link ContractViolation} unless `body` is a valid `status` response of the operation. */
  checkResponse(operationId: string, status: number, body: unknown): void {
    const result = this.api.validateResponse(body, operationId, status);
    if (!result.valid) {
      throw new ContractViolation(
        `response ${status} of ${operationId}`,
        (result.errors ?? []).map(describeError),
      );
    }
  }
}

function toOpenApiRequest(request: ContractRequest): OpenApiRequest {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return {
    method: request.method.toLowerCase(),
    path: request.path,
    query: request.query ?? {},
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  };
}

function describeError(error: {
  instancePath?: string;
  message?: string;
  params?: unknown;
}): string {
  const where = error.instancePath ? `at ${error.instancePath}` : 'at the top level';
  return `${where}: ${error.message ?? 'invalid'} ${JSON.stringify(error.params ?? {})}`;
}
