/**
 * The `<entity>/$management` request/response operations of the Service Bus twin, as the
 * `@azure/service-bus` 7.x ManagementClient sends them: the operation name is the `operation`
 * application property, the arguments are an AMQP map in the body, and the reply carries
 * `statusCode` (+ `errorCondition` on failure). Keys and value types follow the SDK's
 * `core/managementClient.js`.
 */
import rhea from 'rhea';
import type { AmqpMessage, Broker, Entity, StoredMessage } from './serviceBusTwin.js';

export interface ManagementReply {
  status: number;
  /** AMQP error condition the SDK maps to a ServiceBusError code (e.g. `com.microsoft:message-lock-lost` → MessageLockLost). */
  condition?: string;
  description?: string;
  body?: unknown;
}

export const uuidBytes = (u: string): Buffer => Buffer.from(u.replace(/-/g, ''), 'hex');
export const uuidString = (b: Buffer | string): string => {
  if (typeof b === 'string') return b.toLowerCase();
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
/** AMQP longs arrive as numbers, or as 8-byte buffers when they do not fit a double exactly. */
export const longToNumber = (v: unknown): number => (Buffer.isBuffer(v) ? Number(v.readBigInt64BE(0)) : Number(v));

const LOCK_LOST: ManagementReply = {
  status: 410,
  condition: 'com.microsoft:message-lock-lost',
  description: 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
};

// The SDK's names for update-disposition states (sic: "defered").
const DISPOSITIONS = { completed: 'complete', abandoned: 'abandon', defered: 'defer', suspended: 'deadletter' } as const;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v == null ? [] : [v]);
const encodeOut = (broker: Broker, m: StoredMessage, withState = false): Buffer => rhea.message.encode(broker.wire(m, withState));

export function handleManagementRequest(broker: Broker, entity: Entity, request: AmqpMessage): ManagementReply {
  const operation = String(request.application_properties?.operation ?? '');
  const body = (request.body ?? {}) as Record<string, unknown>;
  broker.log(`${operation.replace(/^com\.microsoft:/, '')}:${entity.name}`);

  switch (operation) {
    case 'com.microsoft:peek-message': {
      // Peek sees every message of the entity (locked, deferred and scheduled too), with its state.
      const from = longToNumber(body['from-sequence-number'] ?? 1);
      const count = Number(body['message-count'] ?? 1);
      const found = broker.peek(entity, from, count);
      if (!found.length) return { status: 204, description: 'No messages to peek' };
      return { status: 200, body: { messages: found.map((m) => ({ message: encodeOut(broker, m, true) })) } };
    }

    case 'com.microsoft:renew-lock': {
      const expirations: Date[] = [];
      for (const t of list(body['lock-tokens'])) {
        const until = broker.renewLock(entity, uuidString(t as Buffer));
        if (until === undefined) return LOCK_LOST;
        expirations.push(new Date(until));
      }
      return { status: 200, body: { expirations } };
    }

    case 'com.microsoft:schedule-message': {
      // Each entry is a whole encoded message whose x-opt-scheduled-enqueue-time annotation says when.
      const seqs: number[] = [];
      for (const entry of list(body.messages) as Array<{ message: Buffer }>) {
        seqs.push(broker.accept(entity, rhea.message.decode(entry.message) as AmqpMessage));
      }
      return { status: 200, body: { 'sequence-numbers': rhea.types.wrap_array(seqs, 0x81, undefined) } };
    }

    case 'com.microsoft:cancel-scheduled-message':
      broker.cancelScheduled(entity, list(body['sequence-numbers']).map(longToNumber));
      return { status: 200 };

    case 'com.microsoft:receive-by-sequence-number': {
      // receiveDeferredMessages(): receiver-settle-mode 0 = receiveAndDelete, 1 = peekLock.
      const lock = Number(body['receiver-settle-mode'] ?? 1) === 1;
      const found = broker.receiveDeferred(entity, list(body['sequence-numbers']).map(longToNumber), lock);
      if (!found) return { status: 404, condition: 'com.microsoft:message-not-found', description: 'The message was not found or is not deferred.' };
      return {
        status: 200,
        body: {
          // lock tokens in standard byte order here: the SDK does not reorder these
          messages: found.map((m) => ({
            ...(m.lockToken ? { 'lock-token': rhea.types.wrap_uuid(uuidBytes(m.lockToken)) } : {}),
            message: encodeOut(broker, m),
          })),
        },
      };
    }

    case 'com.microsoft:update-disposition': {
      // Settlement of deferred messages, or after the receive link is gone.
      const outcome = DISPOSITIONS[String(body['disposition-status']) as keyof typeof DISPOSITIONS];
      if (!outcome) return { status: 400, condition: 'amqp:invalid-field', description: `Unknown disposition-status ${String(body['disposition-status'])}` };
      const props = body['properties-to-modify'] as Record<string, unknown> | undefined;
      for (const t of list(body['lock-tokens'])) {
        const ok = broker.settle(entity, uuidString(t as Buffer), outcome, props,
          body['deadletter-reason'] == null ? undefined : String(body['deadletter-reason']),
          body['deadletter-description'] == null ? undefined : String(body['deadletter-description']));
        if (!ok) return LOCK_LOST;
      }
      return { status: 200 };
    }

    default:
      return { status: 501, condition: 'amqp:not-implemented', description: `The twin does not implement ${operation}.` };
  }
}
