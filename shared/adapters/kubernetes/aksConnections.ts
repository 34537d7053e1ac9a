/**
 * How to talk to each AKS cluster's API server: its address and CA (read from ARM once per cluster and cached) and a
 * bearer token from the injected credential for the AKS server application (research/control-plane.md §4.6). Used by
 * the Kubernetes adapter and by the Ray adapter for the service proxy, so both share one cache and one token.
 *
 * - One token serves every cluster (the audience is the same AKS application). It is refreshed ahead of expiry:
 *   at `refreshAfterTimestamp` when the credential gives one, else `refreshMarginMs` (5 min, or half the lifetime of a
 *   shorter-lived token) before `expiresOnTimestamp`. A caller whose token was refused (401) says so with
 *   `rejectToken`, and the next `connect` asks the credential again.
 * - A cluster's address and CA are read again after `forgetEndpoint` (a TLS failure, DNS failure or an unexplained
 *   404: the cluster was recreated, its CA rotated or its FQDN changed), at most once per `rereadAfterMs`, so a
 *   server that keeps failing does not turn into a stream of ARM calls.
 * - Concurrent callers share one ARM read and one token request; a failed read is not cached.
 * Tokens are held in memory only and never logged.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { AksEndpoint, AksEndpointSource } from './aksCredentials.js';
import { KubernetesApiError } from './kubeErrors.js';

/** The AKS AAD server application: AKS-managed Entra clusters accept tokens issued for it. */
export const AKS_SERVER_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

export interface AksConnection {
  readonly clusterId: string;
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
}

export interface AksConnectionsOptions {
  readonly credential: TokenCredential;
  readonly endpoints: AksEndpointSource;
  readonly now?: () => number;
  /** Default 5 minutes. */
  readonly refreshMarginMs?: number;
  /** Minimum time between two ARM reads of one cluster's endpoint. Default 30 s. */
  readonly rereadAfterMs?: number;
  /** Bound on one token request. Default 30 s. */
  readonly tokenTimeoutMs?: number;
}

interface CachedToken {
  readonly token: string;
  readonly refreshAt: number;
}

interface CachedEndpoint {
  readonly promise: Promise<AksEndpoint>;
  value?: AksEndpoint;
  readAt: number;
  stale: boolean;
}

const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
const DEFAULT_REREAD_AFTER_MS = 30_000;
const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;

export class AksConnections {
  private readonly now: () => number;
  private readonly refreshMarginMs: number;
  private readonly rereadAfterMs: number;
  private readonly tokenTimeoutMs: number;
  private readonly endpoints = new Map<string, CachedEndpoint>();
  private cachedToken: CachedToken | undefined;
  private pendingToken: Promise<CachedToken> | undefined;

  constructor(private readonly options: AksConnectionsOptions) {
    this.now = options.now ?? Date.now;
    this.refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    this.rereadAfterMs = options.rereadAfterMs ?? DEFAULT_REREAD_AFTER_MS;
    this.tokenTimeoutMs = options.tokenTimeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
  }

  async connect(clusterId: string): Promise<AksConnection> {
    const [endpoint, token] = await Promise.all([this.endpoint(clusterId), this.token()]);
    return { clusterId, server: endpoint.server, caPem: endpoint.caPem, token };
  }

  /** The API server answered 401 to this token: get another one next time (unless that already happened). */
  rejectToken(token: string): void {
    if (this.cachedToken?.token === token) this.cachedToken = undefined;
  }

  /** `server` no longer looks like this cluster's: read the address and CA from ARM again (rate-limited). */
  forgetEndpoint(clusterId: string, server: string): void {
    const cached = this.endpoints.get(key(clusterId));
    if (cached?.value?.server === server) cached.stale = true;
  }

  private endpoint(clusterId: string): Promise<AksEndpoint> {
    const k = key(clusterId);
    const cached = this.endpoints.get(k);
    if (cached && !(cached.stale && this.now() - cached.readAt >= this.rereadAfterMs)) return cached.promise;
    const entry: CachedEndpoint = {
      promise: this.options.endpoints.read(clusterId),
      readAt: this.now(),
      stale: false,
    };
    this.endpoints.set(k, entry);
    entry.promise.then(
      (value) => { entry.value = value; },
      () => { if (this.endpoints.get(k) === entry) this.endpoints.delete(k); },
    );
    return entry.promise;
  }

  private async token(): Promise<string> {
    const cached = this.cachedToken;
    if (cached && this.now() < cached.refreshAt) return cached.token;
    this.pendingToken ??= this.fetchToken().finally(() => { this.pendingToken = undefined; });
    return (await this.pendingToken).token;
  }

  private async fetchToken(): Promise<CachedToken> {
    let access: AccessToken | null;
    try {
      access = await this.options.credential.getToken(AKS_SERVER_SCOPE, { abortSignal: AbortSignal.timeout(this.tokenTimeoutMs) });
    } catch (cause) {
      // The credential's own message (managed identity endpoint, tenant, …); it carries no token.
      throw new KubernetesApiError(`no Entra token for the AKS server application: ${(cause as Error)?.message ?? String(cause)}`, { status: 0, retryable: true, origin: 'credential', cause });
    }
    if (!access?.token) throw new KubernetesApiError('no Entra token for the AKS server application: the credential returned none', { status: 0, retryable: true, origin: 'credential' });
    const now = this.now();
    const lifetime = access.expiresOnTimestamp - now;
    const margin = Math.min(this.refreshMarginMs, Math.max(0, lifetime / 2));
    const refreshAt = Math.min(access.expiresOnTimestamp - margin, access.refreshAfterTimestamp ?? Number.POSITIVE_INFINITY);
    const next = { token: access.token, refreshAt };
    this.cachedToken = next;
    return next;
  }
}

const key = (clusterId: string): string => clusterId.replace(/\/+$/, '').toLowerCase();
