/**
 * Service Bus queue triggers, pumped the way the Functions host's Service Bus extension (5.x) does for a non-.NET
 * function with `cardinality: 'one'`: a peekLock receiver per function, `subscribe` with `maxConcurrentCalls`
 * (host.json `extensions.serviceBus.maxConcurrentCalls`, default 16) and, with `autoCompleteMessages` (default true),
 * complete when the handler resolves and abandon when it throws. With `autoCompleteMessages: false` nothing is settled
 * (a Node function cannot settle without the SDK-binding preview), so the lock expires and the broker redelivers.
 *
 * The handler gets the body as the worker would after the host sent it as text: JSON is parsed (an object, array,
 * number…), anything else is a string; an AMQP-value object body is passed as its JSON round-trip. `triggerMetadata`
 * holds the host's binding data, camel-cased by the library (recursively, so application property keys get a
 * lower-case first letter): messageId, deliveryCount (1 on the first delivery, as .NET counts), enqueuedTimeUtc/expiresAtUtc (ISO strings), sequenceNumber
 * (number), correlationId, contentType, subject and label, replyTo, to, sessionId, replyToSessionId, partitionKey,
 * lockToken, deadLetterSource, applicationProperties, sys.
 *
 * Broker errors are logged; the SDK's subscription keeps retrying. `stop()` closes the subscriptions first (no new
 * messages), waits for handlers in flight (and their settlement), then closes the receivers.
 */
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import type { RegisteredFunction } from './functionsCore.js';
import { toCamelCaseValue } from './hostRequest.js';
import { createInvocation, errorSummary, resolveAppSettings, runHandler, sysMetadata, triggerOf, type LogSink } from './invocation.js';

/** host.json `extensions.serviceBus` (5.x names) as far as the local host uses it. */
export interface ServiceBusHostJson {
  maxConcurrentCalls?: number;
  autoCompleteMessages?: boolean;
  [setting: string]: unknown;
}

export interface ServiceBusPumpOptions {
  receiverFor(connection: string, queueName: string): ServiceBusReceiver;
  maxConcurrentCalls: number;
  /** host.json default for functions that do not set `autoCompleteMessages` themselves. */
  autoCompleteMessages: boolean;
  log: LogSink;
}

type Subscription = { close(): Promise<void> };

interface Pumped {
  fn: RegisteredFunction;
  queueName: string;
  receiver: ServiceBusReceiver;
  subscription?: Subscription;
  autoComplete: boolean;
}

function tryJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Normalises SDK values (Date, Long, Buffer) the way a JSON hop through the host would. */
function isLong(value: unknown): value is { toNumber(): number } {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as { toNumber?: unknown }).toNumber === 'function' &&
    'low' in value &&
    'high' in value
  );
}

function jsonReplacer(this: unknown, _key: string, value: unknown): unknown {
  return isLong(value) ? value.toNumber() : value;
}

function jsonRoundTrip(value: unknown): unknown {
  const text = JSON.stringify(value, jsonReplacer);
  return text === undefined ? undefined : JSON.parse(text);
}

/** The message body as the handler receives it. */
export function messageBodyForHandler(body: unknown): unknown {
  if (body === null || body === undefined) return body;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return tryJsonParse(Buffer.from(body).toString('utf8'));
  if (typeof body === 'string') return tryJsonParse(body);
  if (typeof body === 'object') return jsonRoundTrip(body);
  return body;
}

function idText(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (Buffer.isBuffer(id)) return id.toString('utf8');
  return String(id);
}

/** The trigger metadata the handler sees in `context.triggerMetadata`. */
export function messageTriggerMetadata(message: ServiceBusReceivedMessage, functionName: string): Record<string, unknown> {
  const seq = message.sequenceNumber as unknown;
  const bindingData: Record<string, unknown> = {
    MessageId: idText(message.messageId),
    // The AMQP header counts earlier attempts (0 on the first delivery) and the JS SDK passes it through; the host
    // (.NET SDK) adds 1, so a function sees 1 on the first delivery.
    DeliveryCount: message.deliveryCount === undefined ? undefined : message.deliveryCount + 1,
    EnqueuedTimeUtc: message.enqueuedTimeUtc?.toISOString(),
    ExpiresAtUtc: message.expiresAtUtc?.toISOString(),
    SequenceNumber:
      seq === undefined || seq === null
        ? undefined
        : isLong(seq)
          ? seq.toNumber()
          : Number(seq),
    ContentType: message.contentType,
    CorrelationId: idText(message.correlationId),
    Subject: message.subject,
    Label: message.subject,
    ReplyTo: message.replyTo,
    To: message.to,
    SessionId: message.sessionId,
    ReplyToSessionId: message.replyToSessionId,
    PartitionKey: message.partitionKey,
    LockToken: message.lockToken,
    DeadLetterSource: message.deadLetterSource,
    ApplicationProperties: jsonRoundTrip(message.applicationProperties ?? {}),
  };
  const sys = sysMetadata(functionName);
  bindingData.Sys = { MethodName: sys.methodName, UtcNow: sys.utcNow, RandGuid: sys.randGuid };
  for (const key of Object.keys(bindingData)) if (bindingData[key] === undefined) delete bindingData[key];
  return toCamelCaseValue(bindingData) as Record<string, unknown>;
}

export class ServiceBusPump {
  readonly #pumped: Pumped[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #options: ServiceBusPumpOptions;
  #stopped = false;

  constructor(functions: Iterable<RegisteredFunction>, options: ServiceBusPumpOptions) {
    this.#options = options;
    const specs: Array<{ fn: RegisteredFunction; connection: string; queueName: string; autoComplete: boolean }> = [];
    for (const fn of functions) {
      const trigger = triggerOf(fn);
      if (trigger.type?.toLowerCase() !== 'servicebustrigger') continue;
      const name = fn.metadata.name;
      if (typeof trigger.topicName === 'string' || typeof trigger.queueName !== 'string') {
        throw new Error(`"${name}": only Service Bus queue triggers are supported by the local host (no topics)`);
      }
      if (trigger.cardinality === 'many') throw new Error(`"${name}": cardinality 'many' is not supported by the local host`);
      if (trigger.isSessionsEnabled === true) throw new Error(`"${name}": session-enabled triggers are not supported by the local host`);
      if (trigger.sdkBinding === true) throw new Error(`"${name}": sdkBinding triggers are not supported by the local host`);
      specs.push({
        fn,
        connection: String(trigger.connection ?? ''),
        queueName: resolveAppSettings(trigger.queueName),
        autoComplete: typeof trigger.autoCompleteMessages === 'boolean' ? trigger.autoCompleteMessages : options.autoCompleteMessages,
      });
    }
    for (const spec of specs) {
      const receiver = options.receiverFor(spec.connection, spec.queueName);
      if (receiver.receiveMode !== 'peekLock') {
        void receiver.close().catch(() => {});
        throw new Error(`"${spec.fn.metadata.name}": receiverFor must return a peekLock receiver`);
      }
      this.#pumped.push({ fn: spec.fn, queueName: spec.queueName, receiver, autoComplete: spec.autoComplete });
    }
  }

  get functionNames(): string[] {
    return this.#pumped.map((p) => p.fn.metadata.name);
  }

  start(): void {
    const { log, maxConcurrentCalls } = this.#options;
    for (const p of this.#pumped) {
      if (p.subscription) continue;
      p.subscription = p.receiver.subscribe(
        {
          processMessage: (message) => this.#track(this.#process(p, message)),
          processError: async (args) => {
            // While stopping, the receiver's own 'suspended' complaints are expected, not errors.
            if (this.#stopped) return;
            log({
              level: 'error',
              category: 'host',
              functionName: p.fn.metadata.name,
              message: `service bus error (${args.errorSource}) on '${args.entityPath}': ${args.error.message}`,
              errorSource: args.errorSource,
              entityPath: args.entityPath,
              ...errorSummary(args.error),
            });
          },
        },
        { autoCompleteMessages: false, maxConcurrentCalls },
      );
    }
  }

  async stop(drainMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { log } = this.#options;
    await Promise.all(
      this.#pumped.map((p) =>
        p.subscription?.close().catch((err: unknown) =>
          log({ level: 'warning', category: 'host', functionName: p.fn.metadata.name, message: 'closing subscription failed', ...errorSummary(err) }),
        ),
      ),
    );
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainMs);
        }),
      ]);
      clearTimeout(timer);
    }
    await Promise.all(
      this.#pumped.map((p) =>
        p.receiver.close().catch((err: unknown) =>
          log({ level: 'warning', category: 'host', functionName: p.fn.metadata.name, message: 'closing receiver failed', ...errorSummary(err) }),
        ),
      ),
    );
  }

  #track(p: Promise<void>): Promise<void> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => {});
    return p;
  }

  async #process(p: Pumped, message: ServiceBusReceivedMessage): Promise<void> {
    const { log } = this.#options;
    const name = p.fn.metadata.name;
    const inv = createInvocation(p.fn, log, messageTriggerMetadata(message, name));
    let ok: boolean;
    try {
      await runHandler(p.fn, messageBodyForHandler(message.body), inv, log);
      ok = true;
    } catch (err) {
      ok = false;
      log({
        level: 'error',
        category: 'host',
        functionName: name,
        invocationId: inv.invocationId,
        message: `service bus invocation failed (message ${idText(message.messageId)}, delivery ${message.deliveryCount})`,
        ...errorSummary(err),
      });
    }
    if (!p.autoComplete) return;
    try {
      if (ok) await p.receiver.completeMessage(message);
      else await p.receiver.abandonMessage(message);
    } catch (err) {
      log({
        level: 'warning',
        category: 'host',
        functionName: name,
        invocationId: inv.invocationId,
        message: `settling message ${idText(message.messageId)} (${ok ? 'complete' : 'abandon'}) failed`,
        ...errorSummary(err),
      });
    }
  }
}
