/**
 * Public API of the signal parsers (DESIGN §4). Pure code: no SDK, no I/O, no URL is ever fetched.
 *
 * One parser module per source family (`alerts/` for Azure Monitor action groups today; Event Grid /
 * CloudEvents arrive in their own folder), each with a dispatcher that returns `Signal[]` or throws
 * `SignalParseError`.
 */
export * from './types.js';
export { parseAlertBody, COMMON_SCHEMA_ID, LEGACY_ACTIVITY_LOG_SCHEMA_ID } from './alerts/index.js';
export type { AlertEnvelope, AlertFamilyParser } from './alerts/index.js';
export {
  toArmRegion,
  isArmRegion,
  regionDisplayName,
  AZURE_REGIONS,
  ARM_REGION_NAMES,
  REGION_DISPLAY_TO_ARM,
} from './regions.js';
export type { AzureRegion, RegionCategory } from './regions.js';
export { toIsoTime } from './time.js';
export {
  parseEventGridBody,
  HANDLED_EVENT_TYPES,
  SUBSCRIPTION_VALIDATION_EVENT,
  ANNOTATION_STATUS,
  annotationStatus,
  annotationDeadline,
  isPreemptionAnnotation,
  PREEMPTION_ANNOTATIONS,
  SPOT_PREEMPT_NOTICE_SECONDS,
} from './eventGrid/index.js';
export type { EventGridParse, EventGridParseOptions, EventSchema } from './eventGrid/index.js';
export {
  mapAksResource,
  clusterIdFromTopic,
  parseArmId,
  armResourceType,
  nodeNameOf,
  vmssOfNode,
  instanceIdOfNode,
  poolOfVmss,
  defaultNodeResourceGroup,
} from './aksResources.js';
export { APPLICATION_XIDS, isApplicationXid, xidName } from './xid.js';
export type { AksResourceRef, ArmId } from './aksResources.js';
