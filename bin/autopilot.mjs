#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx autopilot …` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { fileURLToPath } = await import('node:url');
process.argv.splice(1, 1, fileURLToPath(new URL('../local/cli/autopilot.ts', import.meta.url)));
await import('../local/cli/autopilot.ts');
