/** Time is always passed in; this is the one place that reads the wall clock in production. */
export interface Clock {
  now(): Date;
  /** Waits (a PDB's Retry-After). Absent: real time. A virtual clock supplies its own. */
  sleep?(ms: number): Promise<void>;
}
export const systemClock: Clock = { now: () => new Date() };
