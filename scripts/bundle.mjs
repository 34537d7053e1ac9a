// Bundles the Functions app into dist/functions/index.js (package.json "main"). One ESM file with a
// require shim; '@azure/functions-core' is the worker's virtual module and must stay external.
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['functions/index.ts'],
  outfile: 'dist/functions/index.js',
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
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`dist/functions/index.js: ${(bytes / 1024 / 1024).toFixed(2)} MiB`);
