/** The in-process harness as a timeline target: the agenda on the virtual clock, deliveries to the driver, the observer told. */
import type { Agenda } from './agenda.js';
import type { Harness } from './harness.js';
import type { Observer } from './observer.js';
import { familyOf } from './scenarioFleet.js';
import type { TimelineEntry, TimelineTarget } from './timeline.js';

export function simTarget(h: Harness, agenda: Agenda, observer: Observer, deliver: (label: string, body: unknown) => void, entries: TimelineEntry[]): TimelineTarget {
  const hit = (d: ReturnType<Observer['regionDown']>) => ({ detected: () => observer.detected(d), interrupted: d.affected.size });
  return {
    world: h.world,
    arm: h.arm,
    subscription: h.fleet.subscription,
    clusterId: (name) => h.fleet.clusterIds.get(name),
    family: (region) => familyOf(h.scenario, h.fleet, region),
    now: () => h.time.ms(),
    after: (ms, label, fn) => agenda.add(h.time.ms() + ms, label, fn),
    span: (ms) => ms,
    deliver,
    sendsNodeSignals: true,
    hooks: {
      regionDown: (label, regions) => hit(observer.regionDown(label, regions)),
      nodeFault: (label, clusterId, nodes) => hit(observer.nodeFault(label, clusterId, nodes)),
    },
    say: (text) => entries.push({ at: h.time.ms(), text }),
  };
}
