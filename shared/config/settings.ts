/**
 * App settings (local.settings.sample.json lists every one). Identity-based connections only:
 * an endpoint plus a credential kind, never a key or connection string. Read once, every problem
 * reported at once.
 */
import { ConfigError } from './problems.js';

export interface IdentitySettings {
  /** 'managedidentity' uses the app's (user-assigned when clientId is set) managed identity; otherwise DefaultAzureCredential. */
  readonly credential?: 'managedidentity';
  readonly clientId?: string;
}

export interface Settings {
  readonly storage: IdentitySettings & { readonly blobServiceUri: string; readonly tableServiceUri: string };
  readonly checkpoints: { readonly blobServiceUri: string; readonly container: string };
  readonly serviceBus: IdentitySettings & { readonly fullyQualifiedNamespace: string; readonly emulator: boolean };
  readonly stateTable: string;
  readonly fleetFile: string;
  /** How long a Ray dashboard may take to answer before its cluster counts as unreachable. */
  readonly rayTimeoutMs: number;
  /** Azure Resource Manager; only ever overridden by the local twin (loopback). */
  readonly arm: IdentitySettings & { readonly endpoint?: string; readonly pollIntervalMs?: number };
  /** Azure Monitor, asked to confirm what the autopilot hears about nodes (the Telemetry port). */
  readonly monitor: MonitorSettings;
}

export interface MonitorSettings extends IdentitySettings {
  /** Log Analytics workspace (customer) id. Unset: node readiness is not confirmed through Container insights. */
  readonly workspaceId?: string;
  /** Log Analytics API root; unset means Azure's (`https://api.loganalytics.io`). Only the local twin overrides it. */
  readonly logsEndpoint?: string;
  /** Regional metrics endpoint with `{region}` (`https://{region}.metrics.monitor.azure.com`). Unset: metric confirmation is skipped. */
  readonly metricsEndpointTemplate?: string;
  /** How long one question to Monitor may take before it counts as unanswered. */
  readonly timeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadSettings(env: Env): Settings {
  const problems: string[] = [];
  const get = (name: string) => env[name]?.trim() || undefined;
  const required = (name: string, hint: string) => {
    const v = get(name);
    if (!v) problems.push(`${name}: required (${hint})`);
    return v ?? '';
  };
  const httpsUrl = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    let u: URL | undefined;
    try { u = new URL(value); } catch { /* reported below */ }
    if (!u || u.protocol !== 'https:') problems.push(`${name}: must be an https URL, got "${value}"`);
  };
  const identity = (prefix: string): IdentitySettings => {
    const credential = get(`${prefix}__credential`);
    if (credential !== undefined && credential !== 'managedidentity') problems.push(`${prefix}__credential: must be "managedidentity" when set, got "${credential}"`);
    const clientId = get(`${prefix}__clientId`);
    if (clientId !== undefined && !/^[0-9a-f-]{36}$/i.test(clientId)) problems.push(`${prefix}__clientId: must be a GUID, got "${clientId}"`);
    return { ...(credential ? { credential: 'managedidentity' as const } : {}), ...(clientId ? { clientId } : {}) };
  };
  for (const name of Object.keys(env)) {
    if (/(connectionstring|accountkey|sharedaccesskey)$/i.test(name) || /^(AzureWebJobsStorage|ServiceBusConnection)$/.test(name)) {
      problems.push(`${name}: secrets are not accepted; use identity-based settings (${name.split('__')[0]}__…)`);
    }
  }

  const account = get('AzureWebJobsStorage__accountName');
  const blobServiceUri = get('AzureWebJobsStorage__blobServiceUri') ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
  const tableServiceUri = get('AzureWebJobsStorage__tableServiceUri') ?? (account ? `https://${account}.table.core.windows.net` : undefined);
  if (!blobServiceUri) problems.push('AzureWebJobsStorage__blobServiceUri: required (or AzureWebJobsStorage__accountName)');
  if (!tableServiceUri) problems.push('AzureWebJobsStorage__tableServiceUri: required (or AzureWebJobsStorage__accountName)');
  httpsUrl('AzureWebJobsStorage__blobServiceUri', blobServiceUri);
  httpsUrl('AzureWebJobsStorage__tableServiceUri', tableServiceUri);
  const storageIdentity = identity('AzureWebJobsStorage');

  const checkpointBlob = get('CheckpointStorage__blobServiceUri') ?? blobServiceUri;
  httpsUrl('CheckpointStorage__blobServiceUri', get('CheckpointStorage__blobServiceUri'));

  const fqns = required('ServiceBusConnection__fullyQualifiedNamespace', 'e.g. sb-fleet.servicebus.windows.net');
  const emulatorRaw = get('ServiceBusConnection__emulator');
  if (emulatorRaw !== undefined && emulatorRaw !== 'true' && emulatorRaw !== 'false') problems.push(`ServiceBusConnection__emulator: must be true or false, got "${emulatorRaw}"`);
  const emulator = emulatorRaw === 'true';
  if (emulator && !/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(fqns)) {
    problems.push('ServiceBusConnection__emulator: only allowed for a loopback namespace (the local twin)');
  }
  const sbIdentity = identity('ServiceBusConnection');

  const name = (setting: string, fallback: string, re: RegExp, what: string) => {
    const v = get(setting) ?? fallback;
    if (!re.test(v)) problems.push(`${setting}: ${what}, got "${v}"`);
    return v;
  };
  const stateTable = name('AUTOPILOT_STATE_TABLE', 'autopilot', /^[A-Za-z][A-Za-z0-9]{2,62}$/, 'a table name (letters and digits, 3-63)');
  const container = name('AUTOPILOT_CHECKPOINT_CONTAINER', 'checkpoints', /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'a blob container name');
  const fleetFile = required('AUTOPILOT_FLEET_FILE', 'path to the fleet YAML file');
  const timeoutRaw = get('AUTOPILOT_RAY_TIMEOUT_MS') ?? '3000';
  const rayTimeoutMs = Number(timeoutRaw);
  if (!Number.isInteger(rayTimeoutMs) || rayTimeoutMs < 100 || rayTimeoutMs > 60_000) problems.push(`AUTOPILOT_RAY_TIMEOUT_MS: an integer from 100 to 60000, got "${timeoutRaw}"`);

  const armEndpoint = get('AUTOPILOT_ARM_ENDPOINT');
  if (armEndpoint !== undefined) {
    httpsUrl('AUTOPILOT_ARM_ENDPOINT', armEndpoint);
    // Credentials go wherever this points: only Azure's own endpoint or the local twin on loopback.
    if (!/^https:\/\/(management\.azure\.com|127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(armEndpoint)) {
      problems.push(`AUTOPILOT_ARM_ENDPOINT: only https://management.azure.com or a loopback twin, got "${armEndpoint}"`);
    }
  }
  const pollRaw = get('AUTOPILOT_ARM_POLL_INTERVAL_MS');
  const pollIntervalMs = pollRaw === undefined ? undefined : Number(pollRaw);
  if (pollIntervalMs !== undefined && (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 0 || pollIntervalMs > 60_000)) {
    problems.push(`AUTOPILOT_ARM_POLL_INTERVAL_MS: an integer from 0 to 60000, got "${pollRaw}"`);
  }
  const armIdentity = identity('AUTOPILOT_ARM');
  const requireEntraRaw = get('AUTOPILOT_REQUIRE_ENTRA');
  if (requireEntraRaw !== undefined && requireEntraRaw !== 'true' && requireEntraRaw !== 'false') problems.push(`AUTOPILOT_REQUIRE_ENTRA: must be true or false, got "${requireEntraRaw}"`);

  const monitor = monitorSettings(get, problems, identity('AUTOPILOT_MONITOR'));

  if (problems.length) throw new ConfigError('app settings', problems);
  return {
    storage: { ...storageIdentity, blobServiceUri: blobServiceUri!, tableServiceUri: tableServiceUri! },
    checkpoints: { blobServiceUri: checkpointBlob!, container },
    serviceBus: { ...sbIdentity, fullyQualifiedNamespace: fqns, emulator },
    stateTable, fleetFile, rayTimeoutMs,
    arm: { ...armIdentity, ...(armEndpoint ? { endpoint: armEndpoint.replace(/\/$/, '') } : {}), ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}) },
    monitor,
  };
}

// Credentials go wherever these point: Azure's own Monitor endpoints, or the local twin on loopback.
const LOOPBACK_ROOT = /^https:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/;
const LOOPBACK_METRICS = /^https:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/\{region\}\/?$/;
const LOGS_ENDPOINT = /^https:\/\/(api\.loganalytics\.io|api\.loganalytics\.azure\.com)\/?$/;
const METRICS_TEMPLATE = /^https:\/\/\{region\}\.metrics\.monitor\.azure\.com\/?$/;

function monitorSettings(
  get: (name: string) => string | undefined, problems: string[], identity: IdentitySettings,
): MonitorSettings {
  const workspaceId = get('AUTOPILOT_LOG_ANALYTICS_WORKSPACE_ID');
  if (workspaceId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(workspaceId)) {
    problems.push(`AUTOPILOT_LOG_ANALYTICS_WORKSPACE_ID: the workspace id (a GUID, "Workspace ID" on the workspace's overview), got "${workspaceId}"`);
  }
  const logsEndpoint = get('AUTOPILOT_LOG_ANALYTICS_ENDPOINT');
  if (logsEndpoint !== undefined) {
    if (!LOGS_ENDPOINT.test(logsEndpoint) && !LOOPBACK_ROOT.test(logsEndpoint)) {
      problems.push(`AUTOPILOT_LOG_ANALYTICS_ENDPOINT: only https://api.loganalytics.io (the API root, without /v1) or a loopback twin, got "${logsEndpoint}"`);
    }
  }
  const metricsTemplate = get('AUTOPILOT_METRICS_ENDPOINT');
  if (metricsTemplate !== undefined) {
    if (!METRICS_TEMPLATE.test(metricsTemplate) && !LOOPBACK_METRICS.test(metricsTemplate)) {
      problems.push(`AUTOPILOT_METRICS_ENDPOINT: only https://{region}.metrics.monitor.azure.com or a loopback twin (https://127.0.0.1:<port>/{region}), got "${metricsTemplate}"`);
    }
  }
  const timeoutRaw = get('AUTOPILOT_MONITOR_TIMEOUT_MS') ?? '10000';
  const timeoutMs = Number(timeoutRaw);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 500 || timeoutMs > 60_000) problems.push(`AUTOPILOT_MONITOR_TIMEOUT_MS: an integer from 500 to 60000, got "${timeoutRaw}"`);
  return {
    ...identity,
    ...(workspaceId ? { workspaceId } : {}),
    ...(logsEndpoint ? { logsEndpoint: logsEndpoint.replace(/\/$/, '') } : {}),
    ...(metricsTemplate ? { metricsEndpointTemplate: metricsTemplate.replace(/\/$/, '') } : {}),
    timeoutMs,
  };
}
