/**
 * The local Functions host: serves the function definitions that an app entry (functions/index.ts) registers with
 * `app.http/app.serviceBusQueue/app.timer/app.eventGrid`, the way the Azure Functions host would — HTTP routes under
 * `/api`, the Event Grid webhook, host admin routes, a Service Bus pump and timers — on loopback only.
 *
 * The `@azure/functions-core` stand-in is installed by the first import below, before anything can call `app.*()`.
 */
import './functionsCore.js';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServiceBusReceiver } from '@azure/service-bus';
import { loadFunctionApp, registrations, setFunctionsCoreWarningSink, type RegisteredFunction } from './functionsCore.js';
import { createHttpHost } from './httpServer.js';
import { compileRoute, RouteTable } from './httpRoutes.js';
import { createInvocation, runHandler, sysMetadata, triggerOf, type LogRecord, type LogSink } from './invocation.js';
import { toCamelCaseValue } from './hostRequest.js';
import { ServiceBusPump, type ServiceBusHostJson } from './serviceBusPump.js';
import { TimerScheduler } from './timers.js';

export type { LogRecord, LogSink } from './invocation.js';

/** The parts of host.json the local host honours. */
export interface HostJson {
  extensions?: {
    http?: { routePrefix?: string; [setting: string]: unknown };
    serviceBus?: ServiceBusHostJson;
    [extension: string]: unknown;
  };
  [setting: string]: unknown;
}

export interface LocalHostOptions {
  /** Module path (relative to cwd, or absolute) or file URL of the app entry, e.g. functions/index.ts. */
  entry: string;
  /** Default `Number(process.env.PORT) || 7071`; 0 picks a free port. Always bound to 127.0.0.1. */
  port?: number;
  /** The key for `authLevel: 'function' | 'admin'` routes, admin routes and the Event Grid webhook. */
  functionKey: string;
  /** Needed when the app has Service Bus triggers; return a peekLock receiver for the queue. */
  serviceBus?: { receiverFor(connection: string, queueName: string): ServiceBusReceiver };
  /** host.json content (`extensions.http.routePrefix`, `extensions.serviceBus.maxConcurrentCalls/autoCompleteMessages`). */
  hostJson?: HostJson;
  /** Overrides host.json's `extensions.serviceBus.maxConcurrentCalls` (default 16). */
  maxConcurrentCalls?: number;
  /** Fire timers on their schedules and runOnStartup (default true). `invokeTimer` works either way. */
  timers?: boolean;
  /** Request bodies over this get 413 without calling the function (default 4 MiB). */
  maxRequestBodyBytes?: number;
  /** How long `stop()` waits for invocations in flight (default 30 s). */
  drainTimeoutMs?: number;
  /** Structured log sink (default: JSON lines on stderr). */
  log?: LogSink;
}

export interface LocalHost {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Names of the functions the entry registered. */
  functions: string[];
  /** Runs the timer function now (never overlapping a run in progress); rejects if the function throws. */
  invokeTimer(name: string): Promise<void>;
  /** Stops everything: HTTP server (open connections dropped), timers, Service Bus receivers. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
const DEFAULT_MAX_CONCURRENT_CALLS = 16;
const DEFAULT_DRAIN_MS = 30_000;
const LOOPBACK = '127.0.0.1';

function defaultLog(line: LogRecord): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
}

function entryUrl(entry: string): string {
  if (/^file:/i.test(entry)) return entry;
  return pathToFileURL(isAbsolute(entry) ? entry : resolve(process.cwd(), entry)).href;
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  if (typeof options.functionKey !== 'string' || options.functionKey.length === 0) {
    throw new Error('startLocalHost: functionKey is required');
  }
  const log = options.log ?? defaultLog;
  setFunctionsCoreWarningSink((message) => log({ level: 'warning', category: 'host', message }));
  const maxBody = options.maxRequestBodyBytes ?? DEFAULT_MAX_BODY;
  const drainMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
  const sbJson = options.hostJson?.extensions?.serviceBus ?? {};
  const maxConcurrentCalls = options.maxConcurrentCalls ?? sbJson.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS;
  if (!Number.isInteger(maxConcurrentCalls) || maxConcurrentCalls < 1) {
    throw new Error(`startLocalHost: maxConcurrentCalls must be a positive integer, got ${maxConcurrentCalls}`);
  }
  const routePrefix = options.hostJson?.extensions?.http?.routePrefix ?? 'api';

  const names = await loadFunctionApp(entryUrl(options.entry), (url) => import(url));
  const all = registrations();
  const functions = new Map<string, RegisteredFunction>();
  for (const name of names) {
    const fn = all.get(name);
    if (fn) functions.set(name, fn);
  }

  const routes = new RouteTable();
  for (const fn of functions.values()) {
    const trigger = triggerOf(fn);
    if (trigger.type?.toLowerCase() !== 'httptrigger') continue;
    const methods = Array.isArray(trigger.methods) ? (trigger.methods as string[]) : ['GET', 'POST'];
    routes.add(compileRoute(fn.metadata.name, typeof trigger.route === 'string' ? trigger.route : undefined, methods, routePrefix));
  }

  const timers = new TimerScheduler(functions.values(), { log });

  const hasServiceBusTriggers = [...functions.values()].some((fn) => triggerOf(fn).type?.toLowerCase() === 'servicebustrigger');
  let pump: ServiceBusPump | undefined;
  if (hasServiceBusTriggers && !options.serviceBus) {
    log({ level: 'warning', category: 'host', message: 'the app has Service Bus triggers but no serviceBus option was given: they are not pumped' });
  }

  const adminInvoke = async (fn: RegisteredFunction, input: unknown): Promise<void> => {
    const type = triggerOf(fn).type?.toLowerCase();
    if (type === 'timertrigger') return timers.invoke(fn.metadata.name);
    const metadata = toCamelCaseValue({ sys: sysMetadata(fn.metadata.name) }) as Record<string, unknown>;
    const inv = createInvocation(fn, log, metadata);
    await runHandler(fn, input, inv, log);
  };

  const http = createHttpHost({ functionKey: options.functionKey, maxRequestBodyBytes: maxBody, routes, functions, adminInvoke, log });
  const requestedPort = options.port ?? (Number(process.env.PORT) || 7071);
  const port = await http.listen(requestedPort, LOOPBACK);

  try {
    if (hasServiceBusTriggers && options.serviceBus) {
      pump = new ServiceBusPump(functions.values(), {
        receiverFor: (connection, queueName) => options.serviceBus!.receiverFor(connection, queueName),
        maxConcurrentCalls,
        autoCompleteMessages: sbJson.autoCompleteMessages ?? true,
        log,
      });
      pump.start();
    }
    if (options.timers !== false) timers.start();
  } catch (err) {
    await Promise.allSettled([pump?.stop(0), timers.stop(0), http.close(0)]);
    throw err;
  }

  const url = `http://${LOOPBACK}:${port}`;
  log({ level: 'information', category: 'host', message: `local functions host listening on ${url}`, functions: [...functions.keys()] });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    functions: [...functions.keys()],
    invokeTimer: (name) => timers.invoke(name),
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all([timers.stop(drainMs), pump?.stop(drainMs), http.close(drainMs)]);
        log({ level: 'information', category: 'host', message: 'local functions host stopped' });
      })()),
  };
}
