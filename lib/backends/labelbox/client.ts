import { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import { requestFailureCode } from '../unavailable.js';

const graphqlResponseSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z
    .array(
      z.looseObject({
        message: z.string(),
        extensions: z.looseObject({ code: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

/** Labelbox's code for an id that names nothing (deleted, or never there). */
export const NOT_FOUND = 'RESOURCE_NOT_FOUND';

export interface LabelboxClientOptions {
  readonly endpoint: string;
  readonly apiKey: string;
  /** A request's time limit; Labelbox answers GraphQL in seconds. */
  readonly timeoutMs?: number;
}

/**
 * Labelbox's GraphQL API over `fetch`: one document, one root field, the answer parsed with
 * the caller's schema. Failures are `BackendError`s naming the operation, never the key.
 */
export class LabelboxClient {
  readonly #endpoint: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(options: LabelboxClientOptions) {
    this.#endpoint = options.endpoint;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * Runs `document` and returns its root field `field`, parsed with `schema`.
   * @throws BackendError `BACKEND_REQUEST_FAILED` (HTTP or GraphQL error; `details.code` is
   *   Labelbox's error code), `BACKEND_RESPONSE_INVALID` (an answer of the wrong shape).
   */
  async request<S extends z.ZodType>(
    field: string,
    document: string,
    variables: Record<string, unknown>,
    schema: S,
  ): Promise<z.output<S>> {
    const response = await this.#fetch(this.#endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: document, variables }),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new BackendError(
        requestFailureCode(response.status),
        `Labelbox answered ${field} with HTTP ${response.status}`,
        { operation: field, status: response.status },
      );
    }
    const parsed = graphqlResponseSchema.safeParse(safeJson(text));
    if (!parsed.success) throw invalid(field, parsed.error);
    const error = parsed.data.errors?.[0];
    if (error) {
      const code = error.extensions?.code ?? 'UNKNOWN';
      throw new BackendError(
        'BACKEND_REQUEST_FAILED',
        `Labelbox refused ${field}: ${error.message} (${code})`,
        { operation: field, code },
      );
    }
    const value = schema.safeParse(parsed.data.data?.[field]);
    if (!value.success) throw invalid(field, value.error);
    return value.data;
  }

  /** A file Labelbox serves to API users (export results, masks), read whole. */
  async download(url: string, what: string): Promise<Uint8Array> {
    const response = await this.#fetch(url, { method: 'GET' });
    if (!response.ok) {
      throw new BackendError(
        requestFailureCode(response.status),
        `Labelbox answered the download of ${what} with HTTP ${response.status}`,
        { operation: what, status: response.status },
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${this.#apiKey}`,
        },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `Labelbox cannot be reached at ${new URL(url).origin}: ${reason}`,
        { url: new URL(url).origin },
        { cause: error },
      );
    }
  }
}

/** Whether `error` is Labelbox saying the thing is gone: cleanup treats that as done. */
export function isNotFound(error: unknown): boolean {
  return error instanceof BackendError && error.details.code === NOT_FOUND;
}

function invalid(field: string, error: z.ZodError): BackendError {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? ` at '${first.path.join('.')}'` : '';
  return new BackendError(
    'BACKEND_RESPONSE_INVALID',
    `Labelbox's answer to ${field} is not what annoflow expects${where}: ${first?.message ?? 'unknown problem'}`,
    { operation: field, issues: error.issues.slice(0, 10) },
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
