/**
 * Fault injection for the Monitor face: the next requests to one API misbehave as Azure Monitor can. Faults are
 * consumed in the order added, one per request, each for `times` requests (default 1).
 */
import type { MonitorApi } from './monitorAuth.js';

export type MonitorFault =
  /** 429 with Retry-After. */
  | { readonly kind: 'throttle'; readonly retryAfterSeconds?: number }
  /** 500. */
  | { readonly kind: 'serverError' }
  /** Answers normally, after a delay. */
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** Never answers (the socket stays open until the face closes). */
  | { readonly kind: 'hang' }
  /** Logs: 200 with some rows and a PartialError. Metrics: the first resource's metric carries an error code. */
  | { readonly kind: 'partial' };

interface Armed {
  readonly api: MonitorApi;
  readonly fault: MonitorFault;
  left: number;
}

export class MonitorFaults {
  private readonly armed: Armed[] = [];

  add(api: MonitorApi, fault: MonitorFault, times = 1): void {
    this.armed.push({ api, fault, left: times });
  }

  clear(): void {
    this.armed.length = 0;
  }

  /** The fault for this request, if one is armed for its API (and count it). */
  take(api: MonitorApi): MonitorFault | undefined {
    const i = this.armed.findIndex((a) => a.api === api);
    if (i < 0) return undefined;
    const a = this.armed[i]!;
    a.left -= 1;
    if (a.left <= 0) this.armed.splice(i, 1);
    return a.fault;
  }
}
