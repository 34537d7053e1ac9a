/**
 * CheckpointStore contract against Azurite through the real @azure/storage-blob SDK (HTTPS + fake-JWT OAuth).
 * Layouts follow /work/shared/fixtures/control-plane/blob-list.checkpoints.json and
 * ray-train-v2.checkpoint_manager_snapshot.json (copied below so the repo does not depend on the research folder).
 */
import { randomBytes } from 'node:crypto';
import { ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../local/fakeCredential.js';
import {
  BlobCheckpointStore,
  checkpointDirFromSnapshot,
  compareCheckpointNames,
} from '../../shared/adapters/storage/blobCheckpointStore.js';
import { testStorage } from '../support/storage.js';

const storage = testStorage();
const CONTAINER = `ckpt-contract-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

// --- fixture: blob-list.checkpoints.json (trainV2_layout), relative to the run prefix -------------------------------
const V2_LAYOUT = [
  '.validate_storage_marker',
  'checkpoint_manager_snapshot.json',
  'checkpoint_2025-11-20_10-40-12.481516/model.pt',
  'checkpoint_2025-11-20_10-40-12.481516/optimizer.pt',
  'checkpoint_2025-11-20_11-10-09.112233/model.pt',
  'checkpoint_2025-11-20_11-10-09.112233/optimizer.pt',
  'checkpoint_2025-11-20_11-40-03.998877/model.pt', // still uploading: no optimizer.pt, not in the snapshot
];
// --- fixture: ray-train-v2.checkpoint_manager_snapshot.json ----------------------------------------------------------
const SNAPSHOT = {
  ray_version: '2.52.0',
  checkpoint_results: [
    { version: 0, checkpoint_dir_name: 'checkpoint_2025-11-20_10-40-12.481516', metrics: { epoch: 3, step: 12000, loss: 1.92 } },
    { version: 0, checkpoint_dir_name: 'checkpoint_2025-11-20_11-10-09.112233', metrics: { epoch: 4, step: 16000, loss: 1.87 } },
  ],
  checkpoint_report_indices: [3, 4],
  latest_checkpoint_result: { version: 0, checkpoint_dir_name: 'checkpoint_2025-11-20_11-10-09.112233', metrics: { epoch: 4, step: 16000, loss: 1.87 } },
  pending_training_results: [],
  pending_validation_specs: [],
  current_report_index: 5,
};
const NEWEST_REGISTERED = 'checkpoint_2025-11-20_11-10-09.112233';

let container: ContainerClient;
let store: BlobCheckpointStore;
let credential: StaticTokenCredential;

async function put(name: string, body: string = 'x'): Promise<void> {
  await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
}
/** Uploads a V2 run under `run` (with a trailing slash); the snapshot body can be replaced, or omitted with null. */
async function putV2Run(run: string, snapshot: string | null = JSON.stringify(SNAPSHOT)): Promise<void> {
  for (const name of V2_LAYOUT) {
    if (name === 'checkpoint_manager_snapshot.json') {
      if (snapshot !== null) await put(run + name, snapshot);
    } else {
      await put(run + name);
    }
  }
}
let runCounter = 0;
const freshRun = (label: string) => `runs/${label}-${++runCounter}/`;

beforeAll(async () => {
  const options: StoragePipelineOptions & { agent?: Agent } = { agent: storage.agent };
  container = new ContainerClient(`${storage.blobEndpoint}/${CONTAINER}`, storage.credential, options);
  await container.create();
  credential = new StaticTokenCredential();
  store = BlobCheckpointStore.create({ endpoint: storage.blobEndpoint, container: CONTAINER, credential, agent: storage.agent });
});

afterAll(async () => {
  await container?.deleteIfExists();
});

describe('BlobCheckpointStore.latestComplete', () => {
  it('V2 layout + snapshot → the latest registered checkpoint (11-10-09), not the newer incomplete 11-40-03', async () => {
    const run = freshRun('v2-snapshot');
    await putV2Run(run);
    expect(await store.latestComplete(run)).toBe(run + NEWEST_REGISTERED);
    // The SDK went through the TokenCredential for the storage scope (identity-based, no keys).
    expect(credential.scopesSeen.flat()).toContain('https://storage.azure.com/.default');
  });

  it('accepts the run prefix without a trailing slash, and does not confuse sibling runs', async () => {
    const run = freshRun('no-slash');
    await putV2Run(run);
    // A sibling whose name extends ours, with a newer marked checkpoint, must not leak in.
    await put(`${run.slice(0, -1)}-retry/checkpoint_2099-01-01_00-00-00.000000/.complete`);
    expect(await store.latestComplete(run.slice(0, -1))).toBe(run + NEWEST_REGISTERED);
  });

  it('snapshot without latest_checkpoint_result → the last checkpoint_results entry', async () => {
    const run = freshRun('v2-schema-drift');
    const { latest_checkpoint_result: _, ...older } = SNAPSHOT;
    await putV2Run(run, JSON.stringify({ ...older, checkpoint_results: SNAPSHOT.checkpoint_results.slice(0, 1) }));
    expect(await store.latestComplete(run)).toBe(run + 'checkpoint_2025-11-20_10-40-12.481516');
  });

  it('no snapshot + completion markers → the newest marked directory, ignoring a newer unmarked one', async () => {
    const run = freshRun('v2-markers');
    await putV2Run(run, null);
    await put(run + 'checkpoint_2025-11-20_10-40-12.481516/.complete');
    await put(run + 'checkpoint_2025-11-20_11-10-09.112233/.complete');
    expect(await store.latestComplete(run)).toBe(run + 'checkpoint_2025-11-20_11-10-09.112233');
  });

  it('markers: V1 zero-padded indices compare numerically, and only checkpoint_* directories count', async () => {
    const run = freshRun('v1-markers');
    for (const dir of ['checkpoint_000009', 'checkpoint_999999', 'checkpoint_1000000']) {
      await put(`${run}${dir}/model.pt`);
      await put(`${run}${dir}/.complete`);
    }
    await put(`${run}checkpoint_1000001/model.pt`); // newest, but unmarked
    await put(`${run}zz_not_a_checkpoint/.complete`);
    await put(`${run}checkpoint_9999999.complete`); // a blob, not a directory
    expect(await store.latestComplete(run)).toBe(run + 'checkpoint_1000000');
  });

  it('no snapshot and no markers → undefined (a directory that merely exists is never trusted)', async () => {
    const run = freshRun('v2-bare');
    await putV2Run(run, null);
    expect(await store.latestComplete(run)).toBeUndefined();
  });

  it('empty prefix (nothing stored under it) → undefined', async () => {
    expect(await store.latestComplete(freshRun('nothing-here'))).toBeUndefined();
  });

  it('unparseable snapshot (caught mid-write) → falls back to markers', async () => {
    const run = freshRun('v2-torn-snapshot');
    await putV2Run(run, JSON.stringify(SNAPSHOT).slice(0, 120));
    expect(await store.latestComplete(run)).toBeUndefined();
    await put(run + 'checkpoint_2025-11-20_10-40-12.481516/.complete');
    expect(await store.latestComplete(run)).toBe(run + 'checkpoint_2025-11-20_10-40-12.481516');
  });

  it('snapshot naming a directory that holds no blobs (pruned) → falls back to markers', async () => {
    const run = freshRun('v2-pruned');
    await putV2Run(run, JSON.stringify({ ...SNAPSHOT, latest_checkpoint_result: { checkpoint_dir_name: 'checkpoint_gone' } }));
    expect(await store.latestComplete(run)).toBeUndefined();
    await put(run + 'checkpoint_2025-11-20_10-40-12.481516/.complete');
    expect(await store.latestComplete(run)).toBe(run + 'checkpoint_2025-11-20_10-40-12.481516');
  });

  it('fails TLS verification without the agent that trusts the local certificate', async () => {
    const noAgent = BlobCheckpointStore.create({ endpoint: storage.blobEndpoint, container: CONTAINER, credential });
    await expect(noAgent.latestComplete('runs/')).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it('is refused with a token for another audience (Azurite really checks OAuth)', async () => {
    const wrong = BlobCheckpointStore.create({
      endpoint: storage.blobEndpoint,
      container: CONTAINER,
      credential: new StaticTokenCredential({ audience: 'https://management.azure.com' }),
      agent: storage.agent,
    });
    await expect(wrong.latestComplete('runs/')).rejects.toMatchObject({ statusCode: 403 });
  });
});

describe('checkpoint snapshot and name helpers', () => {
  it('reads the fixture snapshot and tolerates variations', () => {
    expect(checkpointDirFromSnapshot(SNAPSHOT)).toBe(NEWEST_REGISTERED);
    expect(checkpointDirFromSnapshot({ latest_checkpoint_result: null, checkpoint_results: [] })).toBeUndefined();
    expect(checkpointDirFromSnapshot({ latest_checkpoint_result: { checkpoint_dir_name: '/mnt/cluster/run/checkpoint_7/' } })).toBe('checkpoint_7');
    expect(checkpointDirFromSnapshot({ latest_checkpoint_result: { checkpoint_dir_name: '..' } })).toBeUndefined();
    expect(checkpointDirFromSnapshot([SNAPSHOT])).toBeUndefined();
    expect(checkpointDirFromSnapshot('checkpoint_1')).toBeUndefined();
  });

  it('orders V2 names by time and V1 names by index', () => {
    const v2 = ['checkpoint_2025-11-20_11-10-09.112233', 'checkpoint_2025-11-20_10-40-12.481516', 'checkpoint_2025-11-21_00-00-00.000001'];
    expect([...v2].sort(compareCheckpointNames)).toEqual([v2[1], v2[0], v2[2]]);
    expect(['checkpoint_1000000', 'checkpoint_000010', 'checkpoint_999999'].sort(compareCheckpointNames)).toEqual([
      'checkpoint_000010',
      'checkpoint_999999',
      'checkpoint_1000000',
    ]);
  });
});
