/**
 * Options shared by the ARM adapters (`ArmNodePools`, `ComputeQuota`) and how they become SDK client options.
 * Production passes only the credential (Azure's endpoint, the SDK's polling); local runs and tests point
 * `endpoint` at the twin's HTTPS face with an `agent` that trusts its self-signed certificate.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { ContainerServiceClient, ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';

/** The SDK clients' pipeline (typed through the client, so no direct dependency on core-rest-pipeline). */
type Pipeline = ContainerServiceClient['pipeline'];
type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];

export interface ArmAdapterOptions {
  credential: TokenCredential;
  /** ARM base URL; default `https://management.azure.com`. Otherwise only a loopback twin (settings enforce it). */
  endpoint?: string;
  /** An https.Agent, e.g. `new https.Agent({ ca })` for the twin's self-signed certificate. */
  agent?: ContainerServiceClientOptionalParams['agent'];
  /**
   * LRO polling interval. Unset: the SDK's (2 s, or the service's Retry-After when it sends one). Tests pass 0
   * (core-lro waits the full interval between polls even when the service says `Retry-After: 0`).
   */
  updateIntervalInMs?: number;
  /** Override the SDK's default api-version. */
  apiVersion?: string;
  /**
   * Retries inside the SDK pipeline (429/503 with Retry-After, 408/5xx, network errors). Default 0 for node pools:
   * the caller retries by failure class, and the SDK would otherwise sleep out AKS's Retry-After (up to a minute)
   * inside the invocation, three times. Default 3 for quota reads.
   */
  maxRetries?: number;
  /** Timeout of each HTTP request (not of a whole long-running operation). Default 30 s. */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The client options both modular SDKs accept (`ClientOptions` of `@azure-rest/core-client`). */
export function sdkClientOptions(options: ArmAdapterOptions, defaultMaxRetries: number): ContainerServiceClientOptionalParams {
  return {
    ...(options.endpoint ? { endpoint: options.endpoint.replace(/\/$/, '') } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    retryOptions: { maxRetries: options.maxRetries ?? defaultMaxRetries },
  };
}

/** Sets a timeout on every request the client sends (including LRO polls and paging), unless one is set. */
export function addRequestTimeout(pipeline: Pipeline, timeoutMs: number | undefined): void {
  const ms = timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const policy: PipelinePolicy = {
    name: 'autopilotRequestTimeout',
    sendRequest: (request, next) => {
      if (!request.timeout) request.timeout = ms;
      return next(request);
    },
  };
  pipeline.addPolicy(policy);
}
