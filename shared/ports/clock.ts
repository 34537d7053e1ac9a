/** Time is always passed in; this is the one place that reads the wall clock in production. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
