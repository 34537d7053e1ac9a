/**
 * A stand-in for the worker-provided virtual module `@azure/functions-core`.
 *
 * `@azure/functions` (CJS) looks for the Functions runtime with `require('@azure/functions-core')`; outside the real
 * worker that throws, the library switches to "test mode" and every `app.*()` registration is skipped. Installing this
 * stand-in before the first `app.*()` call makes every registration reach `registerFunction(metadata, handler)`, where
 * `metadata` is what the library's `toCoreFunctionMetadata` builds (`{ name, bindings, retryOptions }`) and `handler`
 * is the user's raw function. Unofficial: it relies on @azure/functions 4.x internals (see research/spike.md §2).
 *
 * Importing this module installs the stand-in (side effect); `installFunctionsCore()` is idempotent. State lives on
 * `globalThis` under a registered symbol so that two copies of this module (e.g. loaded through different module
 * graphs) share one registry.
 */
import Module, { createRequire } from 'node:module';

export const FUNCTIONS_CORE_ID = '@azure/functions-core';

/** One binding as `toCoreFunctionMetadata` produces it (trigger options spread in, plus `type`/`direction`). */
export interface RpcBindingInfo {
  type?: string;
  direction?: 'in' | 'out' | 'inout' | string;
  dataType?: string;
  properties?: Record<string, string>;
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: Record<string, unknown>;
  [key: string]: unknown;
}

export type FunctionHandler = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  handler: FunctionHandler;
}

export interface RegisteredHook {
  hookName: string;
  callback: unknown;
}

interface CoreState {
  installed: boolean;
  registrations: Map<string, RegisteredFunction>;
  hooks: RegisteredHook[];
  /** Names registered while `captureRegistrations` runs; `null` when no capture is active. */
  capture: Set<string> | null;
  /** Cache of what each loaded entry registered (an ES module evaluates once per process). */
  entries: Map<string, string[]>;
  onWarning: (message: string) => void;
}

const STATE_KEY = Symbol.for('gpu-fleet-autopilot.localHost.functionsCore');

function state(): CoreState {
  const g = globalThis as unknown as Record<symbol, CoreState | undefined>;
  let s = g[STATE_KEY];
  if (!s) {
    s = {
      installed: false,
      registrations: new Map(),
      hooks: [],
      capture: null,
      entries: new Map(),
      onWarning: (message) => process.emitWarning(message, 'LocalFunctionsHost'),
    };
    g[STATE_KEY] = s;
  }
  return s;
}

class Disposable {
  readonly #callback: () => void;
  constructor(callback: () => void) {
    this.#callback = callback;
  }
  dispose(): void {
    this.#callback();
  }
}

/** What the library may call on `@azure/functions-core` (4.16.5: setProgrammingModel, registerFunction, registerHook, log). */
const standIn = Object.freeze({
  version: '4.0.0-local',
  hostVersion: '4.0.0-local',
  // Tag so installFunctionsCore can tell its own stand-in from a real worker's module.
  [STATE_KEY]: true,
  setProgrammingModel(_model: unknown): void {},
  getProgrammingModel(): undefined {
    return undefined;
  },
  registerFunction(metadata: FunctionMetadata, handler: FunctionHandler): Disposable {
    const s = state();
    if (!metadata || typeof metadata.name !== 'string' || typeof handler !== 'function') {
      throw new TypeError('registerFunction needs metadata with a name and a handler function');
    }
    // The same module re-evaluated (vi.resetModules, hot reload) registers the same names again: replace.
    s.registrations.set(metadata.name, { metadata, handler });
    s.capture?.add(metadata.name);
    return new Disposable(() => {
      if (s.registrations.get(metadata.name)?.handler === handler) s.registrations.delete(metadata.name);
    });
  },
  registerHook(hookName: string, callback: unknown): Disposable {
    const s = state();
    const hook = { hookName, callback };
    s.hooks.push(hook);
    s.onWarning(`app.hook "${hookName}" was registered; the local host records hooks but does not run them`);
    return new Disposable(() => {
      const i = s.hooks.indexOf(hook);
      if (i >= 0) s.hooks.splice(i, 1);
    });
  },
  log(level: string, category: string, message: string): void {
    if (level === 'warning' || level === 'error' || level === 'critical') {
      state().onWarning(`[${category}] ${message}`);
    }
  },
  Disposable,
});

/**
 * Installs the stand-in: a `Module._resolveFilename` hook that resolves the bare id to itself, and a `require.cache`
 * entry holding the stand-in. Must run before the first `app.*()` call anywhere in the process (the library caches a
 * failed lookup for good). Idempotent.
 */
export function installFunctionsCore(): void {
  const s = state();
  const require = createRequire(import.meta.url);
  const cache = require.cache as Record<string, NodeJS.Module | undefined>;
  const existing = cache[FUNCTIONS_CORE_ID];
  if (existing && !(existing.exports as Record<symbol, unknown> | undefined)?.[STATE_KEY]) {
    throw new Error(
      `${FUNCTIONS_CORE_ID} is already provided by something else (a real Functions worker?); refusing to replace it`,
    );
  }
  if (s.installed && existing) return;

  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  if (!(original as unknown as Record<symbol, unknown>)[STATE_KEY]) {
    const hooked = function (this: unknown, request: string, ...rest: unknown[]): string {
      return request === FUNCTIONS_CORE_ID ? FUNCTIONS_CORE_ID : original.call(this, request, ...rest);
    };
    (hooked as unknown as Record<symbol, unknown>)[STATE_KEY] = true;
    M._resolveFilename = hooked;
  }
  const entry = new Module(FUNCTIONS_CORE_ID);
  entry.filename = FUNCTIONS_CORE_ID;
  entry.loaded = true;
  entry.exports = standIn;
  cache[FUNCTIONS_CORE_ID] = entry;
  s.installed = true;
}

/** Every function registered in this process so far, by name. */
export function registrations(): ReadonlyMap<string, RegisteredFunction> {
  return state().registrations;
}

/** Hooks registered with `app.hook.*` (recorded, not run). */
export function registeredHooks(): readonly RegisteredHook[] {
  return state().hooks;
}

/** Where the stand-in reports library warnings and hook registrations (default: `process.emitWarning`). */
export function setFunctionsCoreWarningSink(sink: (message: string) => void): void {
  state().onWarning = sink;
}

/**
 * Imports an app entry module with the stand-in installed and returns the names of the functions it registered.
 * An ES module evaluates once per process, so the result is cached per resolved entry; if the module had already been
 * evaluated elsewhere (nothing new registered and nothing cached), every registration so far is returned.
 */
export async function loadFunctionApp(entryUrl: string, importer: (url: string) => Promise<unknown>): Promise<string[]> {
  installFunctionsCore();
  const s = state();
  const cached = s.entries.get(entryUrl);
  if (cached) return [...cached];
  if (s.capture) throw new Error('loadFunctionApp: another app is being loaded; load entries one at a time');
  const captured = new Set<string>();
  s.capture = captured;
  try {
    await importer(entryUrl);
  } finally {
    s.capture = null;
  }
  const names = captured.size > 0 ? [...captured] : [...s.registrations.keys()];
  s.entries.set(entryUrl, names);
  return [...names];
}

installFunctionsCore();
