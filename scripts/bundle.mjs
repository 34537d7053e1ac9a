// Bundles the Functions app into dist/functions/index.js (package.json "main"): ESM with a require
// shim, split so that the SDKs the runtime imports lazily load as separate chunks on first use (cold
// start pays only for @azure/functions and the app's own code). '@azure/functions-core' is the
// worker's virtual module and must stay external.
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['functions/index.ts'],
  outdir: 'dist/functions',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  external: ['@azure/functions-core'],
  banner: { js: "import { createRequire as __autopilotRequire } from 'node:module'; const require = __autopilotRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});
const js = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const entry = js.find(([f]) => f.endsWith('functions/index.js'));
console.log(`dist/functions/index.js: ${(entry[1].bytes / 1024).toFixed(0)} KiB; ${js.length - 1} lazy chunks, ${(js.reduce((n, [, o]) => n + o.bytes, 0) / 1024 / 1024).toFixed(2)} MiB in all`);
