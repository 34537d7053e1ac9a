/**
 * What the fixture app's functions saw, shared with the tests. Kept on globalThis so that the app module loaded by the
 * local host and the tests see one recorder whatever module graph each came through.
 */
export interface Recorded {
  function: string;
  input: unknown;
  triggerMetadata: unknown;
  invocationId: string;
}

interface RecorderState {
  calls: Recorded[];
  /** Timer runs in progress (to prove a timer never overlaps itself). */
  timerRunning: number;
  timerMaxConcurrent: number;
  /** Lets a test hold a timer run open. */
  timerGate?: Promise<void>;
  /** Lets a test hold a Service Bus invocation open. */
  jobGate?: Promise<void>;
}

const KEY = Symbol.for('gpu-fleet-autopilot.test.functionsFixture.recorder');

export function recorder(): RecorderState {
  const g = globalThis as unknown as Record<symbol, RecorderState | undefined>;
  return (g[KEY] ??= { calls: [], timerRunning: 0, timerMaxConcurrent: 0 });
}

export function callsOf(functionName: string): Recorded[] {
  return recorder().calls.filter((c) => c.function === functionName);
}

export function resetRecorder(): void {
  const r = recorder();
  r.calls.length = 0;
  r.timerRunning = 0;
  r.timerMaxConcurrent = 0;
  r.timerGate = undefined;
  r.jobGate = undefined;
}
