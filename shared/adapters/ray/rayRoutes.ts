/**
 * How `HttpRayJobs` reaches the Ray dashboard behind an `endpoint` string (`ClusterSpec.rayEndpoint`): a base URL is
 * used as is; a router can resolve other forms (the AKS service-proxy reference) into a base URL plus the headers
 * and the TLS trust that go with it.
 */

/** The part of `fetch` the adapter uses, so a route can bring its own (e.g. undici's, with a CA-pinned dispatcher). */
export type RayFetch = (url: string, init: {
  method: string;
  headers: Record<string, string>;
  body?: string;
  redirect: 'manual';
  signal: AbortSignal;
}) => Promise<{ status: number; text(): Promise<string> }>;

export interface RayRoute {
  /** Base URL the Jobs and State API paths are joined to. */
  readonly baseUrl: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: the global fetch. */
  readonly fetch?: RayFetch;
  /**
   * The answer was 401: the route's credentials were refused. Gives a route with fresh ones to retry once; absent when
   * the route has no credentials of its own.
   */
  readonly refreshed?: () => Promise<RayRoute>;
  /** No answer (network, TLS, timeout): lets the router drop what it cached about this endpoint. */
  readonly failed?: (cause: unknown) => void;
}

export interface RayRouter {
  route(endpoint: string): Promise<RayRoute>;
}

/** Every endpoint is a base URL, reached directly with the global fetch. */
export const directRouter: RayRouter = {
  route: async (endpoint) => ({ baseUrl: endpoint }),
};
