/**
 * The Service Bus face of the fleet twin: an AMQP 1.0 peer on loopback that the real
 * `@azure/service-bus` 7.x client accepts with
 * `Endpoint=sb://127.0.0.1:PORT;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true`
 * (that flag makes the SDK use plain TCP, SASL ANONYMOUS and the port from the endpoint).
 *
 * It has two halves:
 * - `Broker`: the queue semantics with no AMQP in them — peek-lock, lock expiry on real timers,
 *   max delivery count, dead-letter sub-queues, scheduled messages, deferral and duplicate detection.
 * - the AMQP wiring (`startServiceBusTwin`): rhea links mapped onto broker calls. `$management`
 *   requests are answered by `amqpManagement.ts`.
 *
 * Not modelled: sessions, topics/subscriptions, transactions, message TTL, quotas and throttling.
 * Queues come into existence on first use and behave like queues created with
 * `requiresDuplicateDetection: true`.
 */
import rhea from 'rhea';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Server, Socket } from 'node:net';
import { handleManagementRequest, uuidBytes, type ManagementReply } from './amqpManagement.js';

export interface ServiceBusTwinOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** How long a peek-lock lasts before the message is redelivered. Default 30 s (the portal's default is 1 min; 30 s keeps `npm start` lively). */
  lockDurationMs?: number;
  /** Deliveries before a message is dead-lettered with `MaxDeliveryCountExceeded`. Default 10, as in Azure. */
  maxDeliveryCount?: number;
  /** Duplicate detection history window. Default 10 min, as in Azure. */
  duplicateDetectionWindowMs?: number;
  /** The broker's clock for timestamps, locks, schedules and the duplicate window. Default `Date.now`. */
  now?: () => number;
}

export interface QueueView {
  /** Messages a receiver could get right now. */
  active(): number;
  scheduled(): number;
  locked(): number;
  deadLettered(): Array<{ messageId: string; body: unknown; reason?: string; description?: string }>;
  /** Every message in the queue (not its dead-letter sub-queue), in sequence order. */
  messages(): Array<{ messageId: string; body: unknown; state: string; deliveryCount: number; sequenceNumber: number; applicationProperties?: Record<string, unknown> }>;
}

export interface ServiceBusTwin {
  port: number;
  /** `127.0.0.1:PORT` — what `ServiceBusConnection__fullyQualifiedNamespace` is set to locally. */
  endpoint: string;
  connectionString: string;
  queue(name: string): QueueView;
  /** What the broker did, newest last (`send:jobs:<messageId>`, `duplicate:jobs:<messageId>`, `complete:…`, `put-token`, …). Capped. */
  ops: string[];
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------
// Broker model
// ------------------------------------------------------------------------------------------------

/** A decoded rhea message: header and properties flattened, `body` a data/sequence section or a value. */
export type AmqpMessage = Record<string, any>;

export type MessageState = 'active' | 'locked' | 'scheduled' | 'deferred';
export type Outcome = 'complete' | 'abandon' | 'defer' | 'deadletter';

export interface StoredMessage {
  seq: number;
  /** FIFO position among active messages; an abandoned message keeps it, so it is redelivered first. */
  order: number;
  amqp: AmqpMessage;
  messageId: string;
  enqueuedAt: number;
  /** The AMQP header delivery-count: prior unsuccessful deliveries (the JS SDK shows it as is; .NET adds 1). */
  deliveryCount: number;
  state: MessageState;
  scheduledFor?: number;
  lockToken?: string;
  lockedUntil?: number;
  /** A deferred message that was received by sequence number goes back to deferred when abandoned. */
  deferred?: boolean;
  timer?: NodeJS.Timeout;
}

export class Entity {
  /** All messages by sequence number. */
  readonly all = new Map<number, StoredMessage>();
  /** Active messages, sorted by `order`. */
  ready: StoredMessage[] = [];
  readonly locks = new Map<string, StoredMessage>();
  readonly scheduled = new Set<StoredMessage>();
  /** Duplicate detection history: messageId → expiry. Insertion order is expiry order. */
  readonly seen = new Map<string, number>();
  constructor(readonly name: string, readonly deadLetter: Entity | undefined) {}
  get isDeadLetterQueue(): boolean { return this.deadLetter === undefined; }
}

const DLQ_SUFFIX = '/$deadletterqueue';
const MAX_OPS = 10_000;

export class Broker {
  private readonly queues = new Map<string, Entity>();
  private seq = 0;
  private order = 0;
  private closed = false;
  readonly ops: string[] = [];
  /** Called whenever messages become deliverable on an entity (the AMQP layer pushes them to receivers). */
  onAvailable: (entity: Entity) => void = () => {};

  constructor(
    readonly lockDurationMs: number,
    readonly maxDeliveryCount: number,
    readonly duplicateWindowMs: number,
    readonly now: () => number,
  ) {}

  log(op: string): void {
    this.ops.push(op);
    if (this.ops.length > MAX_OPS) this.ops.splice(0, this.ops.length - MAX_OPS);
  }

  /** `jobs`, `JOBS` and `jobs/$DeadLetterQueue` all resolve; entity names are case-insensitive as in Azure. */
  entity(path: string): Entity {
    const lower = path.toLowerCase();
    if (lower.endsWith(DLQ_SUFFIX)) return this.queueEntity(path.slice(0, -DLQ_SUFFIX.length)).deadLetter!;
    return this.queueEntity(path);
  }

  queueEntity(name: string): Entity {
    const key = name.toLowerCase();
    let q = this.queues.get(key);
    if (!q) {
      q = new Entity(name, new Entity(`${name}/$DeadLetterQueue`, undefined));
      this.queues.set(key, q);
    }
    return q;
  }

  /**
   * A message sent to the entity (plain send, batch part or schedule-message). Returns its sequence
   * number, or a fresh unused one when duplicate detection dropped it (the caller still sees success).
   */
  accept(e: Entity, amqp: AmqpMessage): number {
    const seq = ++this.seq;
    // The broker assigns a message id when the client did not; the SDK needs one to settle.
    if (amqp.message_id == null) amqp.message_id = randomUUID().replace(/-/g, '');
    const messageId = idString(amqp.message_id);
    if (!e.isDeadLetterQueue && this.isDuplicate(e, messageId)) {
      this.log(`duplicate:${e.name}:${messageId}`);
      return seq;
    }
    const when = toMillis(amqp.message_annotations?.['x-opt-scheduled-enqueue-time']);
    const m: StoredMessage = { seq, order: 0, amqp, messageId, enqueuedAt: this.now(), deliveryCount: 0, state: 'active' };
    e.all.set(seq, m);
    if (when !== undefined && when > this.now()) {
      m.state = 'scheduled';
      m.scheduledFor = when;
      m.enqueuedAt = when;
      e.scheduled.add(m);
      this.arm(m, when, () => this.activateScheduled(e, m));
      this.log(`schedule:${e.name}:${messageId}`);
    } else {
      this.log(`send:${e.name}:${messageId}`);
      this.makeReady(e, m, true);
    }
    return seq;
  }

  /** Duplicate detection on message id within the window (history survives completion, like Azure). */
  private isDuplicate(e: Entity, messageId: string): boolean {
    const now = this.now();
    for (const [id, expires] of e.seen) {
      if (expires > now) break;
      e.seen.delete(id);
    }
    if (e.seen.has(messageId)) return true;
    e.seen.set(messageId, now + this.duplicateWindowMs);
    return false;
  }

  cancelScheduled(e: Entity, seqs: number[]): void {
    for (const seq of seqs) {
      const m = e.all.get(seq);
      if (m?.state !== 'scheduled') continue;
      clearTimeout(m.timer);
      e.scheduled.delete(m);
      e.all.delete(seq);
      this.log(`cancel:${e.name}:${m.messageId}`);
    }
  }

  /** Next deliverable message: locked (peek-lock) or removed (receive-and-delete). */
  take(e: Entity, lock: boolean): StoredMessage | undefined {
    const m = e.ready.shift();
    if (!m) return undefined;
    if (lock) this.lock(e, m);
    else { e.all.delete(m.seq); m.state = 'active'; this.log(`receive-and-delete:${e.name}:${m.messageId}`); }
    return m;
  }

  private lock(e: Entity, m: StoredMessage): void {
    m.state = 'locked';
    m.lockToken = randomUUID();
    m.lockedUntil = this.now() + this.lockDurationMs;
    e.locks.set(m.lockToken, m);
    const token = m.lockToken;
    this.arm(m, m.lockedUntil, () => this.expireLock(e, m, token));
  }

  /** Settles a locked message. False when the lock is gone (expired, or settled already). */
  settle(e: Entity, lockToken: string, outcome: Outcome, props?: Record<string, unknown>, reason?: string, description?: string): boolean {
    const m = e.locks.get(lockToken);
    if (!m) return false;
    this.unlock(e, m);
    if (props) m.amqp.application_properties = { ...m.amqp.application_properties, ...definedOnly(props) };
    this.log(`${outcome}:${e.name}:${m.messageId}`);
    switch (outcome) {
      case 'complete':
        e.all.delete(m.seq);
        break;
      case 'abandon':
        this.redeliverLater(e, m);
        break;
      case 'defer':
        m.state = 'deferred';
        m.deferred = true;
        break;
      case 'deadletter':
        this.deadLetter(e, m, reason, description);
        break;
    }
    return true;
  }

  /** Puts a locked message back without counting a delivery (it never reached the client). */
  release(e: Entity, lockToken: string): boolean {
    const m = e.locks.get(lockToken);
    if (!m) return false;
    this.unlock(e, m);
    this.log(`release:${e.name}:${m.messageId}`);
    if (m.deferred) m.state = 'deferred';
    else this.makeReady(e, m, false);
    return true;
  }

  renewLock(e: Entity, lockToken: string): number | undefined {
    const m = e.locks.get(lockToken);
    if (!m) return undefined;
    m.lockedUntil = this.now() + this.lockDurationMs;
    this.arm(m, m.lockedUntil, () => this.expireLock(e, m, lockToken));
    this.log(`renew-lock:${e.name}:${m.messageId}`);
    return m.lockedUntil;
  }

  /** Deferred messages by sequence number; undefined when one is not (or no longer) deferred. */
  receiveDeferred(e: Entity, seqs: number[], lock: boolean): StoredMessage[] | undefined {
    const found = seqs.map((s) => e.all.get(s));
    if (found.some((m) => m?.state !== 'deferred')) return undefined;
    const list = found as StoredMessage[];
    for (const m of list) {
      if (lock) this.lock(e, m);
      else e.all.delete(m.seq);
    }
    return list;
  }

  /** Messages with sequence number ≥ from, any state, as Azure's peek returns them. */
  peek(e: Entity, from: number, count: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const m of e.all.values()) if (m.seq >= from) out.push(m);
    return out.sort((a, b) => a.seq - b.seq).slice(0, count);
  }

  /**
   * Catches up with `now()` without waiting for timers — used when a receiver asks for messages on an
   * empty entity, so an injected clock that jumped ahead releases expired locks and due schedules on
   * the next receive.
   */
  sweep(e: Entity): void {
    const now = this.now();
    for (const [token, m] of e.locks) if (m.lockedUntil! <= now) this.expireLock(e, m, token);
    for (const m of e.scheduled) if (m.scheduledFor! <= now) this.activateScheduled(e, m);
  }

  /** The message as it goes out on the wire, with the annotations the SDK reads. */
  wire(m: StoredMessage, withState = false): AmqpMessage {
    const annotations: Record<string, unknown> = {
      ...m.amqp.message_annotations,
      'x-opt-sequence-number': rhea.types.wrap_long(m.seq),
      'x-opt-enqueued-time': new Date(m.enqueuedAt),
    };
    if (m.state === 'locked' && m.lockedUntil !== undefined) {
      annotations['x-opt-locked-until'] = new Date(m.lockedUntil);
      annotations['x-opt-lock-token'] = rhea.types.wrap_uuid(uuidBytes(m.lockToken!));
    }
    // 0 active, 1 deferred, 2 scheduled: shown by peek
    if (withState) annotations['x-opt-message-state'] = rhea.types.wrap_int(m.state === 'deferred' ? 1 : m.state === 'scheduled' ? 2 : 0);
    return { ...m.amqp, delivery_count: m.deliveryCount, message_annotations: annotations };
  }

  /** Every timer is cleared and no new one is armed: the process can exit. */
  close(): void {
    this.closed = true;
    for (const q of this.queues.values()) {
      for (const e of [q, q.deadLetter!]) for (const m of e.all.values()) clearTimeout(m.timer);
    }
  }

  private unlock(e: Entity, m: StoredMessage): void {
    clearTimeout(m.timer);
    m.timer = undefined;
    e.locks.delete(m.lockToken!);
    m.lockToken = undefined;
    m.lockedUntil = undefined;
  }

  private expireLock(e: Entity, m: StoredMessage, token: string): void {
    if (m.lockToken !== token) return;
    this.unlock(e, m);
    this.log(`lock-expired:${e.name}:${m.messageId}`);
    this.redeliverLater(e, m);
  }

  /** After an abandon or a lost lock: count the delivery, then dead-letter or make it available again. */
  private redeliverLater(e: Entity, m: StoredMessage): void {
    m.deliveryCount++;
    if (!e.isDeadLetterQueue && m.deliveryCount >= this.maxDeliveryCount) {
      this.log(`max-delivery-count:${e.name}:${m.messageId}`);
      this.deadLetter(e, m, 'MaxDeliveryCountExceeded', `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`);
    } else if (m.deferred) {
      m.state = 'deferred';
    } else {
      this.makeReady(e, m, false);
    }
  }

  private deadLetter(e: Entity, m: StoredMessage, reason?: string, description?: string): void {
    e.all.delete(m.seq);
    const target = e.deadLetter ?? e; // dead-lettering inside the DLQ leaves it there
    m.amqp.application_properties = {
      ...m.amqp.application_properties,
      ...definedOnly({ DeadLetterReason: reason, DeadLetterErrorDescription: description }),
    };
    m.deferred = false;
    target.all.set(m.seq, m);
    this.makeReady(target, m, true);
  }

  private activateScheduled(e: Entity, m: StoredMessage): void {
    if (m.state !== 'scheduled') return;
    clearTimeout(m.timer);
    m.timer = undefined;
    e.scheduled.delete(m);
    m.enqueuedAt = this.now();
    this.log(`enqueue-scheduled:${e.name}:${m.messageId}`);
    this.makeReady(e, m, true);
  }

  private makeReady(e: Entity, m: StoredMessage, fresh: boolean): void {
    m.state = 'active';
    if (fresh) {
      m.order = ++this.order;
      e.ready.push(m);
    } else {
      // binary insert by original position
      let lo = 0, hi = e.ready.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (e.ready[mid]!.order < m.order) lo = mid + 1; else hi = mid; }
      e.ready.splice(lo, 0, m);
    }
    this.onAvailable(e);
  }

  /**
   * Real timers against the broker clock: if `now()` says the moment has not come yet when the timer
   * fires (timers may fire a millisecond early; an injected clock may lag), wait the remainder.
   */
  private arm(m: StoredMessage, due: number, fire: () => void): void {
    clearTimeout(m.timer);
    if (this.closed) return;
    const wait = Math.min(Math.max(1, due - this.now()), 2 ** 31 - 1);
    m.timer = setTimeout(() => {
      m.timer = undefined;
      if (this.closed) return;
      if (this.now() < due) this.arm(m, due, fire);
      else fire();
    }, wait);
    m.timer.unref();
  }
}

// ------------------------------------------------------------------------------------------------
// Encoding helpers
// ------------------------------------------------------------------------------------------------

const DATA_SECTION = 0x75;
const SEQUENCE_SECTION = 0x76;
/** `ServiceBusSender` batches: one transfer whose data sections are whole encoded messages. */
const BATCH_FORMAT = 0x80013700;

/**
 * The body as the SDK receiver would show it: the SDK's default transformer sends objects, strings
 * and numbers as JSON in one data section, so a data section is JSON-decoded when it parses.
 */
export function decodeBody(body: unknown): unknown {
  if (body && typeof body === 'object' && typeof (body as { typecode?: unknown }).typecode === 'number') {
    const section = body as { typecode: number; content: unknown; multiple?: boolean };
    if (section.typecode === DATA_SECTION) {
      const buf = section.multiple ? Buffer.concat(section.content as Buffer[]) : (section.content as Buffer);
      try { return JSON.parse(buf.toString('utf8')); } catch { return buf; }
    }
    if (section.typecode === SEQUENCE_SECTION) return section.content;
  }
  return body; // a value section is already a JS value
}

export const idString = (id: unknown): string => (Buffer.isBuffer(id) ? id.toString('hex') : String(id));

export function toMillis(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  return undefined;
}

/** The delivery tag carries the lock token in .NET GUID byte order; the SDK reorders it back. */
const dotnetGuidBytes = (u: string): Buffer => {
  const b = uuidBytes(u);
  return Buffer.concat([b.subarray(0, 4).reverse(), b.subarray(4, 6).reverse(), b.subarray(6, 8).reverse(), b.subarray(8)]);
};

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

// ------------------------------------------------------------------------------------------------
// AMQP wiring
// ------------------------------------------------------------------------------------------------

// rhea's typings omit the internals a broker needs (attach frames, settle modes, outgoing delivery
// ids, drain state), so the wiring keeps its own narrow views of links and deliveries.
interface OutDelivery {
  id: number;
  remote_state?: { described?: () => unknown; undeliverable_here?: boolean; message_annotations?: Record<string, unknown>; error?: { info?: Record<string, unknown> } };
  remote_settled?: boolean;
  update(settled: boolean, state?: unknown): void;
  twin?: { entity: Entity; token: string };
}
interface Attach { source?: { address?: string }; target?: { address?: string }; rcv_settle_mode?: number; snd_settle_mode?: number; max_message_size?: number }
interface LinkBase {
  local: { attach: Attach };
  remote: { attach: Attach };
  connection: unknown;
  set_source(s: { address: string }): void;
  set_target(t: { address?: string }): void;
}
interface SenderLink extends LinkBase {
  credit: number;
  session: { outgoing: { next_pending_delivery: number; available(): number } };
  send(msg: AmqpMessage, tag?: Buffer): OutDelivery;
  set_drained(drained: boolean): void;
  twin?: { entity?: Entity; reply?: boolean; address: string; pending: OutDelivery[] };
}
interface Ctx { sender: SenderLink; receiver: LinkBase; delivery: OutDelivery & { format?: number }; message: AmqpMessage | Buffer; connection: RheaConnection; format?: number }
interface RheaConnection { close(): void; find_sender(f: (s: SenderLink) => boolean): SenderLink | undefined }

// rhea's typings omit the delivery-outcome factories.
const outcomes = rhea.message as unknown as { accepted(): { described(): unknown }; rejected(fields: object): { described(): unknown } };

const LOCK_LOST = {
  condition: 'com.microsoft:message-lock-lost',
  description: 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
};

export async function startServiceBusTwin(options: ServiceBusTwinOptions = {}): Promise<ServiceBusTwin> {
  const broker = new Broker(
    options.lockDurationMs ?? 30_000,
    options.maxDeliveryCount ?? 10,
    options.duplicateDetectionWindowMs ?? 10 * 60_000,
    options.now ?? Date.now,
  );
  const consumers = new Map<Entity, Set<SenderLink>>();
  const connections = new Set<RheaConnection>();
  const sockets = new Set<Socket>();

  const container = rhea.create_container({ id: 'servicebus-twin' });
  container.sasl_server_mechanisms.enable_anonymous(); // the SDK sends ANONYMOUS in emulator mode

  /**
   * rhea only takes credit off a link when a transfer is actually written (on a later tick), so
   * `sendable()` stays true while we queue deliveries. Count our own queued, not-yet-written ones
   * against the credit, or a receive of 1 would lock every message in the queue.
   */
  const budget = (s: SenderLink): number => {
    const pending = s.twin!.pending;
    const written = s.session.outgoing.next_pending_delivery;
    while (pending.length && pending[0]!.id < written) pending.shift();
    if (!s.session.outgoing.available()) return 0;
    return s.credit - pending.length;
  };

  function deliver(s: SenderLink, e: Entity): void {
    // receiveAndDelete links attach with snd-settle-mode settled; peek-lock with unsettled
    const presettled = s.local.attach.snd_settle_mode === 1;
    const m = broker.take(e, !presettled)!;
    if (presettled) {
      s.twin!.pending.push(s.send(broker.wire(m), uuidBytes(randomUUID())));
      return;
    }
    const d = s.send(broker.wire(m), dotnetGuidBytes(m.lockToken!));
    d.twin = { entity: e, token: m.lockToken! };
    s.twin!.pending.push(d);
  }

  function pump(e: Entity): void {
    const links = consumers.get(e);
    if (!links?.size) return;
    // round-robin over the entity's receivers while any has credit left
    let progress = true;
    while (progress && e.ready.length) {
      progress = false;
      for (const s of links) {
        if (!e.ready.length) break;
        if (budget(s) <= 0) continue;
        deliver(s, e);
        progress = true;
      }
    }
  }
  broker.onAvailable = pump;

  function dropConsumer(s: SenderLink): void {
    const e = s.twin?.entity;
    if (!e) return;
    consumers.get(e)?.delete(s);
    // Deliveries still queued in rhea never reached the client: put them back without counting a
    // delivery. Delivered-but-unsettled ones keep their lock until it expires, as in Azure.
    const queued = s.twin!.pending.filter((d) => d.id >= s.session.outgoing.next_pending_delivery);
    s.twin!.pending = [];
    for (const d of queued) if (d.twin) broker.release(d.twin.entity, d.twin.token);
  }

  container.on('connection_open', (ctx: Ctx) => { connections.add(ctx.connection); });
  container.on('disconnected', (ctx: Ctx) => {
    connections.delete(ctx.connection);
    for (const links of consumers.values()) for (const s of [...links]) if (s.connection === ctx.connection) dropConsumer(s);
  });
  // Without listeners rhea throws on these; a client going away is normal here.
  for (const ev of ['error', 'connection_error', 'protocol_error', 'session_error', 'sender_error', 'receiver_error']) container.on(ev, () => {});

  // The client attaches a receiving link: we are the sender. It is a reply link for $cbs /
  // $management, or a consumer of a queue or its dead-letter sub-queue.
  container.on('sender_open', (ctx: Ctx) => {
    const s = ctx.sender;
    const address = s.remote.attach.source?.address ?? '';
    s.set_source({ address });
    s.local.attach.rcv_settle_mode = s.remote.attach.rcv_settle_mode;
    s.local.attach.snd_settle_mode = s.remote.attach.snd_settle_mode;
    if (address === '$cbs' || address.toLowerCase().endsWith('/$management')) {
      s.twin = { reply: true, address, pending: [] };
      return;
    }
    const e = broker.entity(address);
    s.twin = { entity: e, address, pending: [] };
    let links = consumers.get(e);
    if (!links) consumers.set(e, (links = new Set()));
    links.add(s);
  });
  container.on('sender_close', (ctx: Ctx) => dropConsumer(ctx.sender));
  container.on('sendable', (ctx: Ctx) => {
    const e = ctx.sender.twin?.entity;
    if (!e) return;
    // Credit on an empty entity: catch up with an injected clock first (cheap enough when idle).
    if (!e.ready.length) broker.sweep(e);
    pump(e);
  });
  // receiveMessages(n, { maxWaitTimeInMs }) ends with a drain; answer it, or the next receive on that link hangs
  container.on('sender_draining', (ctx: Ctx) => {
    const e = ctx.sender.twin?.entity;
    if (e) { broker.sweep(e); pump(e); }
    ctx.sender.set_drained(true);
  });

  // Peek-lock settlement. The client attaches with rcv-settle-mode second, so its disposition is
  // unsettled and the settle promise resolves only when we settle the delivery. Echo the outcome
  // without an error (the SDK rejects on any error), or lock-lost when the lock is gone.
  const onOutcome = (kind: 'accepted' | 'released' | 'rejected') => (ctx: Ctx) => {
    const d = ctx.delivery;
    const lock = d.twin;
    if (!lock) return;
    const st = d.remote_state;
    let ok: boolean;
    if (kind === 'accepted') ok = broker.settle(lock.entity, lock.token, 'complete');
    else if (kind === 'rejected') {
      // deadLetterMessage(): rejected with condition com.microsoft:dead-letter; reason and properties in info
      const { DeadLetterReason, DeadLetterErrorDescription, ...props } = st?.error?.info ?? {};
      ok = broker.settle(lock.entity, lock.token, 'deadletter', props, optString(DeadLetterReason), optString(DeadLetterErrorDescription));
    } else if ((st?.constructor as { composite_type?: string } | undefined)?.composite_type === 'modified') {
      // rhea reports `modified` as `released` too: abandon (undeliverable_here false) or defer (true)
      ok = broker.settle(lock.entity, lock.token, st?.undeliverable_here ? 'defer' : 'abandon', st?.message_annotations);
    } else {
      ok = broker.release(lock.entity, lock.token); // a plain release: not processed, no delivery counted
    }
    if (ok) d.update(true, kind === 'rejected' ? outcomes.rejected({}).described() : st?.described?.() ?? outcomes.accepted().described());
    else d.update(true, outcomes.rejected({ error: LOCK_LOST }).described());
    // With rcv-settle-mode second the client never sends a final settled disposition after ours, and
    // rhea frees an outgoing delivery only once both sides settled: without this, a session stalls
    // after 2048 deliveries (its outgoing window).
    d.remote_settled = true;
  };
  container.on('accepted', onOutcome('accepted'));
  container.on('released', onOutcome('released'));
  container.on('rejected', onOutcome('rejected'));

  // The client attaches a sending link: we receive. `createMessageBatch()` sizes batches from max_message_size.
  container.on('receiver_open', (ctx: Ctx) => {
    const r = ctx.receiver;
    r.set_target({ address: r.remote.attach.target?.address });
    r.local.attach.max_message_size = 256 * 1024; // Standard tier
  });

  container.on('message', (ctx: Ctx) => {
    const address = ctx.receiver.remote.attach.target?.address ?? '';
    const lower = address.toLowerCase();
    if (address === '$cbs' || lower.endsWith('/$management')) {
      const request = ctx.message as AmqpMessage;
      let reply: ManagementReply;
      if (address === '$cbs') {
        broker.log('put-token'); // any token is accepted
        reply = { status: 202 };
      } else {
        reply = handleManagementRequest(broker, broker.entity(address.slice(0, -'/$management'.length)), request);
      }
      // answer on the reply link the client named in reply_to
      const out = ctx.connection.find_sender((s) => !!s.twin?.reply && s.remote.attach.target?.address === request.reply_to)
        ?? ctx.connection.find_sender((s) => !!s.twin?.reply && s.twin.address === address);
      const description = reply.description ?? (reply.status < 300 ? 'OK' : 'Error');
      out?.send({
        correlation_id: request.message_id,
        to: request.reply_to,
        application_properties: {
          statusCode: reply.status, 'status-code': reply.status,
          statusDescription: description, 'status-description': description,
          ...(reply.condition ? { errorCondition: reply.condition, 'error-condition': reply.condition } : {}),
        },
        body: reply.body,
      });
      return;
    }
    const e = broker.entity(address);
    // rhea hands over non-zero-format payloads undecoded (a Buffer)
    if (ctx.delivery.format === BATCH_FORMAT) {
      const envelope = rhea.message.decode(ctx.message as Buffer) as AmqpMessage;
      const body = envelope.body as { content: Buffer | Buffer[]; multiple?: boolean };
      const parts = body.multiple ? (body.content as Buffer[]) : [body.content as Buffer];
      for (const part of parts) broker.accept(e, rhea.message.decode(part) as AmqpMessage);
    } else {
      broker.accept(e, { ...(ctx.message as AmqpMessage) });
    }
  });

  const server = container.listen({ port: options.port ?? 0, host: '127.0.0.1' }) as unknown as Server;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;

  const view = (name: string): QueueView => {
    const q = broker.queueEntity(name);
    return {
      active: () => q.ready.length,
      scheduled: () => q.scheduled.size,
      locked: () => q.locks.size,
      deadLettered: () => [...q.deadLetter!.all.values()].map((m) => ({
        messageId: m.messageId,
        body: decodeBody(m.amqp.body),
        reason: optString(m.amqp.application_properties?.DeadLetterReason),
        description: optString(m.amqp.application_properties?.DeadLetterErrorDescription),
      })),
      messages: () => [...q.all.values()].sort((a, b) => a.seq - b.seq).map((m) => ({
        messageId: m.messageId,
        body: decodeBody(m.amqp.body),
        state: m.state,
        deliveryCount: m.deliveryCount,
        sequenceNumber: m.seq,
        ...(m.amqp.application_properties ? { applicationProperties: { ...m.amqp.application_properties } } : {}),
      })),
    };
  };

  let closing: Promise<void> | undefined;
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    connectionString: `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true`,
    queue: view,
    ops: broker.ops,
    close: () => (closing ??= (async () => {
      broker.close();
      for (const c of connections) { try { c.close(); } catch { /* already gone */ } }
      await new Promise<void>((r) => setImmediate(r)); // let the close frames go out
      const stopped = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await stopped;
    })()),
  };
}

const optString = (v: unknown): string | undefined => (v == null ? undefined : String(v));
