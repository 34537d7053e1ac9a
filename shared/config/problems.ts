import type { z } from 'zod';

/** Configuration that cannot work. Lists every problem at once, each with its path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  - ${problems.join('\n  - ')}`);
  }
}

export const describeIssues = (issues: readonly z.core.$ZodIssue[]): string[] =>
  issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
