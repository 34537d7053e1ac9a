import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FUNCTIONS_CORE_ID,
  installFunctionsCore,
  loadFunctionApp,
  registrations,
} from '../../../local/host/functionsCore.js';
import { FIXTURE_ENTRY } from './support.js';

describe('@azure/functions-core stand-in', () => {
  it('is what require() resolves, and installing twice is harmless', () => {
    installFunctionsCore();
    installFunctionsCore();
    const require = createRequire(import.meta.url);
    const core = require(FUNCTIONS_CORE_ID) as { registerFunction?: unknown };
    expect(typeof core.registerFunction).toBe('function');
    // The library (CJS) resolves it from its own location too.
    const fromLibrary = createRequire(require.resolve('@azure/functions'))(FUNCTIONS_CORE_ID);
    expect(fromLibrary).toBe(core);
  });

  it('captures the registrations of an ESM app through the CJS library', async () => {
    const url = pathToFileURL(FIXTURE_ENTRY).href;
    const names = await loadFunctionApp(url, (u) => import(u));
    expect(names.sort()).toEqual(['echo', 'onJob', 'onPlatformEvent', 'sweep', 'things', 'widgetById']);
    // Loading again does not re-evaluate the module and still answers.
    expect((await loadFunctionApp(url, (u) => import(u))).sort()).toEqual(names);

    const things = registrations().get('things')!;
    expect(typeof things.handler).toBe('function');
    expect(things.metadata.name).toBe('things');
    const bindings = Object.values(things.metadata.bindings);
    expect(bindings).toContainEqual(
      expect.objectContaining({ type: 'httpTrigger', direction: 'in', methods: ['GET', 'POST'], route: 'things/{id?}', authLevel: 'function' }),
    );
    expect(bindings).toContainEqual(expect.objectContaining({ type: 'http', direction: 'out' }));

    const onJob = Object.values(registrations().get('onJob')!.metadata.bindings)[0];
    expect(onJob).toMatchObject({ type: 'serviceBusTrigger', queueName: '%FIXTURE_QUEUE%', connection: 'ServiceBusConnection' });
    const sweep = Object.values(registrations().get('sweep')!.metadata.bindings)[0];
    expect(sweep).toMatchObject({ type: 'timerTrigger', schedule: '0 */5 * * * *' });
    const grid = Object.values(registrations().get('onPlatformEvent')!.metadata.bindings)[0];
    expect(grid).toMatchObject({ type: 'eventGridTrigger', direction: 'in' });
  });
});
