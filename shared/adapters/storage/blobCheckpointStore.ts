/**
 * CheckpointStore over Blob Storage: where Ray Train (via BlobFuse2 or adlfs) writes a run's checkpoints.
 *
 * How the latest *complete* checkpoint of a run directory `<prefix>` is found, most trusted first:
 *
 * (a) Ray Train V2's `<prefix>checkpoint_manager_snapshot.json`. Ray registers a checkpoint there only after its
 *     upload finished, so `latest_checkpoint_result.checkpoint_dir_name` is authoritative. The file is a private
 *     pydantic model whose schema moves between Ray versions, so we fall back to the last `checkpoint_results`
 *     entry, and accept a path where a bare directory name is expected (its last segment is used). The named
 *     directory must still hold at least one blob (it may have been pruned by `num_to_keep`).
 * (b) Without a usable snapshot (Train V1/Tune, custom loops, a snapshot caught mid-write — BlobFuse renames are
 *     not atomic): the `checkpoint_*` directories directly under `<prefix>` that contain a completion marker blob
 *     `<dir>/.complete`. PROJECT CONVENTION: a job's training loop writes `.complete` into a checkpoint directory
 *     as the very last file, after every other file of that checkpoint has been closed (i.e. uploaded). The newest
 *     marked directory by name wins: V2 default names (`checkpoint_YYYY-MM-DD_HH-MM-SS.ffffff`) sort by time,
 *     V1 names (`checkpoint_000010`) by index (compared numerically, so 7-digit indices still sort right).
 * (c) Otherwise undefined. A directory that merely exists is never trusted: it may still be uploading.
 */
import type { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { CheckpointStore } from '../../ports/checkpoints.js';

export const SNAPSHOT_FILE = 'checkpoint_manager_snapshot.json';
export const COMPLETE_MARKER = '.complete';
/** Snapshots are small (a few KB); refuse to buffer something absurd. */
const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;

export interface BlobCheckpointStoreOptions {
  /** `https://<account>.blob.core.windows.net`, or Azurite's `https://127.0.0.1:PORT/devstoreaccount1`. */
  endpoint: string;
  container: string;
  credential: TokenCredential;
  /** Node-only HTTPS agent, e.g. one that trusts a local test CA. */
  agent?: Agent;
}

export class BlobCheckpointStore implements CheckpointStore {
  constructor(private readonly container: ContainerClient) {}

  static create(options: BlobCheckpointStoreOptions): BlobCheckpointStore {
    // StoragePipelineOptions does not declare `agent`, but storage-blob spreads its options into core-rest-pipeline's
    // createClientPipeline, which installs it as an agentPolicy. The contract test proves the agent is used.
    const pipelineOptions: StoragePipelineOptions & { agent?: Agent } = options.agent ? { agent: options.agent } : {};
    const url = `${options.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(options.container)}`;
    return new BlobCheckpointStore(new ContainerClient(url, options.credential, pipelineOptions));
  }

  async latestComplete(prefix: string): Promise<string | undefined> {
    const dir = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const fromSnapshot = await this.fromSnapshot(dir);
    if (fromSnapshot !== undefined) return fromSnapshot;
    return this.newestMarked(dir);
  }

  private async fromSnapshot(dir: string): Promise<string | undefined> {
    const text = await this.readSmallBlob(dir + SNAPSHOT_FILE);
    if (text === undefined) return undefined;
    let snapshot: unknown;
    try {
      snapshot = JSON.parse(text);
    } catch {
      return undefined; // partially written or not JSON: not usable
    }
    const name = checkpointDirFromSnapshot(snapshot);
    if (name === undefined) return undefined;
    const path = dir + name;
    return (await this.hasAnyBlob(path + '/')) ? path : undefined;
  }

  private async newestMarked(dir: string): Promise<string | undefined> {
    const candidates: string[] = [];
    for await (const item of this.container.listBlobsByHierarchy('/', { prefix: dir })) {
      if (item.kind !== 'prefix') continue;
      const name = item.name.slice(dir.length, -1); // `checkpoint_…` without the trailing slash
      if (/^checkpoint_[^/]+$/.test(name)) candidates.push(name);
    }
    candidates.sort(compareCheckpointNames).reverse();
    for (const name of candidates) {
      if (await this.container.getBlobClient(`${dir}${name}/${COMPLETE_MARKER}`).exists()) return dir + name;
    }
    return undefined;
  }

  private async readSmallBlob(name: string): Promise<string | undefined> {
    let response;
    try {
      response = await this.container.getBlobClient(name).download();
    } catch (err) {
      if ((err as { statusCode?: number } | undefined)?.statusCode === 404) return undefined;
      throw err;
    }
    const body = response.readableStreamBody;
    if (!body) return undefined;
    if ((response.contentLength ?? 0) > MAX_SNAPSHOT_BYTES) {
      body.resume(); // drain and drop
      return undefined;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }

  private async hasAnyBlob(prefix: string): Promise<boolean> {
    const page = await this.container.listBlobsFlat({ prefix }).byPage({ maxPageSize: 1 }).next();
    return !page.done && page.value.segment.blobItems.length > 0;
  }
}

/**
 * The latest registered checkpoint directory name in a Ray Train V2 checkpoint-manager snapshot, tolerating schema
 * drift: `latest_checkpoint_result.checkpoint_dir_name`, else the last `checkpoint_results[].checkpoint_dir_name`.
 * A path is reduced to its last segment; empty, `.` and `..` are rejected.
 */
export function checkpointDirFromSnapshot(snapshot: unknown): string | undefined {
  if (!isRecord(snapshot)) return undefined;
  const latest = dirNameOf(snapshot.latest_checkpoint_result);
  if (latest !== undefined) return latest;
  const results = snapshot.checkpoint_results;
  if (Array.isArray(results)) {
    for (let i = results.length - 1; i >= 0; i--) {
      const name = dirNameOf(results[i]);
      if (name !== undefined) return name;
    }
  }
  return undefined;
}

function dirNameOf(result: unknown): string | undefined {
  if (!isRecord(result)) return undefined;
  const raw = result.checkpoint_dir_name;
  if (typeof raw !== 'string') return undefined;
  const name = raw.split(/[\\/]+/).filter(Boolean).pop();
  return name && name !== '.' && name !== '..' ? name : undefined;
}

/** Orders checkpoint directory names oldest → newest: numerically when both suffixes are all digits, else by name. */
export function compareCheckpointNames(a: string, b: string): number {
  const sa = a.replace(/^checkpoint_/, '');
  const sb = b.replace(/^checkpoint_/, '');
  if (/^\d+$/.test(sa) && /^\d+$/.test(sb)) {
    const na = BigInt(sa);
    const nb = BigInt(sb);
    if (na !== nb) return na < nb ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
