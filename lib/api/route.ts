import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One API operation: its method and path (API Gateway route syntax, `{name}` parameters),
 * zod schemas for what it accepts and returns (the OpenAPI document is generated from them),
 * and the one call into `lib` that serves it.
 */
export interface Route<
  Deps,
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
> {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  params: P;
  query: Q;
  body: B | null;
  response: R;
  /** The success status: 200 unless the route creates (201) or deletes (204). */
  status?: 200 | 201 | 202 | 204;
  handle(
    deps: Deps,
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> },
  ): Promise<z.input<R>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a route table holds routes of every schema type
export type AnyRoute<Deps> = Route<Deps, any, any, any, any>;

export function defineRoute<
  Deps,
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
>(route: Route<Deps, P, Q, B, R>): Route<Deps, P, Q, B, R> {
  return route;
}

export function routeKey(route: { method: HttpMethod; path: string }): string {
  return `${route.method} ${route.path}`;
}
