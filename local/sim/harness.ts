/**
 * One in-process fleet on a virtual clock: the fleet twin's world and ARM model, and every port the autopilot acts
 * through implemented in memory against them (no sockets). The autopilot's code is the real one: the harness only
 * supplies what the runtime (shared/runtime.ts) would build from Azure's SDKs.
 */
import { MemoryEntityStore } from '../../shared/adapters/storage/memoryEntityStore.js';
import type { Ports } from '../../shared/executor/ports.js';
import { createLogger, type LogFields, type LogLevel } from '../../shared/observability/logger.js';
import { ArmTwin } from '../twin/arm/armTwin.js';
import { poolOfNode } from '../../shared/nodes/nodeFault.js';
import { FleetWorld } from '../twin/world.js';
import { MemoryCheckpoints } from './memoryCheckpoints.js';
import { RecordingFleetState } from './recordingState.js';
import type { Scenario } from './scenario.js';
import { buildFleet, populateArm, type ScenarioFleet } from './scenarioFleet.js';
import { SimNodePools, SimQuota } from './simArm.js';
import { SimKubernetes } from './simKubernetes.js';
import { SimJobQueue } from './simQueue.js';
import { SimRayJobs } from './simRayJobs.js';
import { VirtualTime } from './virtualTime.js';
import { SimTelemetry } from './simTelemetry.js';

export interface LogRecord {
  readonly at: number;
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

export interface Harness {
  readonly scenario: Scenario;
  readonly time: VirtualTime;
  readonly fleet: ScenarioFleet;
  readonly world: FleetWorld;
  readonly arm: ArmTwin;
  readonly queue: SimJobQueue;
  readonly store: MemoryEntityStore;
  readonly state: RecordingFleetState;
  readonly checkpoints: MemoryCheckpoints;
  readonly ports: Ports;
  /** Warnings and errors the autopilot logged, and the last `LOG_TAIL` records of any level. */
  readonly log: { readonly problems: LogRecord[]; readonly tail: LogRecord[] };
}

const LOG_TAIL = 2000;
const MAX_PROBLEMS = 5000;

export function createHarness(scenario: Scenario): Harness {
  const time = new VirtualTime(Date.parse(scenario.start));
  const fleet = buildFleet(scenario);
  const checkpoints = new MemoryCheckpoints();
  const world = new FleetWorld(fleet.regions, fleet.clusters, checkpoints, () => time.ms());
  const arm = new ArmTwin({ now: () => time.ms(), provisioningMs: scenario.fleet.provisioning, timers: false });
  populateArm(arm, scenario, fleet);
  // The world's nodes follow the pools: a finished scale operation adds or removes that pool's nodes.
  arm.on('poolScaled', (clusterId, pool, count) => {
    const view = arm.pool(clusterId, pool)!;
    world.setPoolNodes(clusterId, pool, count, view.gpusPerNode ?? 0, String(view.resource.properties['vmSize']));
  });
  // A Spot VM evicted or a VM lost for good leaves its scale set: ARM's count follows (not for scale-downs ARM made).
  world.on('nodeRemoved', (clusterId, node, reason) => {
    if (reason !== 'scaleDown') arm.instancesRemoved(clusterId, world.kube(clusterId).node(node)?.pool ?? poolOfNode(node) ?? 'gpu');
  });

  const log = { problems: [] as LogRecord[], tail: [] as LogRecord[] };
  const logger = createLogger((level, message, fields) => {
    const record = { at: time.ms(), level, message, fields };
    log.tail.push(record);
    if (log.tail.length > LOG_TAIL) log.tail.shift();
    if ((level === 'warn' || level === 'error') && log.problems.length < MAX_PROBLEMS) log.problems.push(record);
  });

  const store = new MemoryEntityStore();
  const state = new RecordingFleetState(store, fleet.spec);
  const queue = new SimJobQueue(time);
  const ports: Ports = {
    fleet: fleet.spec,
    state,
    ray: new SimRayJobs(world, fleet.endpoints, time, scenario.autopilot.unreachableAfter),
    checkpoints,
    queue,
    nodePools: new SimNodePools(arm, time, { pollIntervalMs: scenario.autopilot.armPollInterval }),
    kube: new SimKubernetes(world, time, scenario.autopilot.unreachableAfter),
    quota: new SimQuota(arm, time),
    telemetry: new SimTelemetry(world, time),
    clock: time,
    log: logger,
  };
  return { scenario, time, fleet, world, arm, queue, store, state, checkpoints, ports, log };
}
