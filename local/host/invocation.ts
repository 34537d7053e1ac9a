/**
 * Builds the `InvocationContext` for one invocation and runs a registered handler, as the library's InvocationModel
 * does in the real worker: the context's `options` come from the registered bindings, user logs are formatted with
 * `util.format` and forwarded (here to the host's structured log sink), and the handler gets `(input, context)`.
 */
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import azureFunctions from '@azure/functions';
import type { EffectiveFunctionOptions, FunctionInput, FunctionOutput, FunctionTrigger, InvocationContext, LogLevel } from '@azure/functions';
import type { RegisteredFunction, RpcBindingInfo } from './functionsCore.js';

/** A structured log record. Invocation logs carry `functionName` and `invocationId`; host logs carry `category: 'host'`. */
export type LogRecord = Record<string, unknown> & { level: string; message: string };
export type LogSink = (line: LogRecord) => void;

const RETURN_BINDING = '$return';

export function isTriggerType(type: string | undefined): boolean {
  return !!type && /trigger$/i.test(type);
}

/** The trigger binding of a registration (exactly one per function). */
export function triggerOf(fn: RegisteredFunction): RpcBindingInfo & { name: string } {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (isTriggerType(binding.type)) return { ...binding, name };
  }
  throw new Error(`function "${fn.metadata.name}" has no trigger binding`);
}

/** Same mapping as the library's `fromRpcBindings`. */
export function effectiveOptions(fn: RegisteredFunction): EffectiveFunctionOptions {
  let trigger: FunctionTrigger | undefined;
  let ret: FunctionOutput | undefined;
  const extraInputs: FunctionInput[] = [];
  const extraOutputs: FunctionOutput[] = [];
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    const b = { ...binding, type: String(binding.type), name } as FunctionTrigger & FunctionInput & FunctionOutput;
    if (isTriggerType(binding.type)) trigger = b;
    else if (name === RETURN_BINDING) ret = b;
    else if (binding.direction === 'in') extraInputs.push(b);
    else if (binding.direction === 'out') extraOutputs.push(b);
  }
  if (!trigger) throw new Error(`function "${fn.metadata.name}" has no trigger binding`);
  return { trigger, return: ret, extraInputs, extraOutputs };
}

/** Resolves `%AppSetting%` references in a binding value from the environment, as the host's name resolver does. */
export function resolveAppSettings(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (whole, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`binding expression ${whole} refers to app setting "${name}", which is not set`);
    return v;
  });
}

export interface Invocation {
  context: InvocationContext;
  invocationId: string;
}

export function createInvocation(
  fn: RegisteredFunction,
  log: LogSink,
  triggerMetadata?: Record<string, unknown>,
): Invocation {
  const invocationId = randomUUID();
  const functionName = fn.metadata.name;
  const context = new azureFunctions.InvocationContext({
    invocationId,
    functionName,
    logHandler: (level: LogLevel, ...args: unknown[]) => {
      log({ level, functionName, invocationId, message: format(...args) });
    },
    triggerMetadata,
    options: effectiveOptions(fn),
  });
  return { context, invocationId };
}

/**
 * Runs the handler with `(input, context)`. Output bindings other than the HTTP return are not delivered by the
 * local host: a value set on one is reported with a warning instead of being dropped silently.
 */
export async function runHandler(fn: RegisteredFunction, input: unknown, inv: Invocation, log: LogSink): Promise<unknown> {
  const result = await fn.handler(input, inv.context);
  for (const output of inv.context.options.extraOutputs) {
    if (inv.context.extraOutputs.get(output) !== undefined) {
      log({
        level: 'warning',
        category: 'host',
        functionName: fn.metadata.name,
        invocationId: inv.invocationId,
        message: `output binding "${output.name}" (${output.type}) is not delivered by the local host; its value was dropped`,
      });
    }
  }
  return result;
}

/** `sys` binding data that the host adds to every non-HTTP trigger's metadata (camel-cased by the library). */
export function sysMetadata(functionName: string): Record<string, unknown> {
  return { methodName: functionName, utcNow: new Date().toISOString(), randGuid: randomUUID() };
}

export function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { error: err.message, errorName: err.name, stack: err.stack };
  return { error: String(err) };
}
