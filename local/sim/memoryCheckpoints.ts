/**
 * Checkpoints in memory: the world writes them here the way Ray Train writes to Blob Storage (the checkpoint
 * directory first, then `checkpoint_manager_snapshot.json`), and the autopilot reads the latest *complete* one with
 * the rules of shared/adapters/storage/blobCheckpointStore.ts — the snapshot's directory if it still holds a file,
 * else the newest `checkpoint_*` directory with a `.complete` marker — using that adapter's own parsing helpers.
 */
import { checkpointDirFromSnapshot, compareCheckpointNames, COMPLETE_MARKER, SNAPSHOT_FILE } from '../../shared/adapters/storage/blobCheckpointStore.js';
import type { CheckpointStore } from '../../shared/ports/checkpoints.js';
import type { CheckpointSink } from '../twin/world.js';

export class MemoryCheckpoints implements CheckpointSink, CheckpointStore {
  private readonly blobs = new Map<string, string>();

  async write(path: string, content: string): Promise<void> {
    this.blobs.set(path, content);
  }

  async latestComplete(prefix: string): Promise<string | undefined> {
    const dir = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const text = this.blobs.get(dir + SNAPSHOT_FILE);
    if (text !== undefined) {
      const name = parse(text);
      if (name !== undefined && this.hasAnyBlob(`${dir}${name}/`)) return dir + name;
    }
    const names = new Set<string>();
    for (const path of this.blobs.keys()) {
      if (!path.startsWith(dir)) continue;
      const first = path.slice(dir.length).split('/')[0]!;
      if (/^checkpoint_[^/]+$/.test(first) && path.length > dir.length + first.length) names.add(first);
    }
    const newestFirst = [...names].sort(compareCheckpointNames).reverse();
    return newestFirst.map((n) => dir + n).find((d) => this.blobs.has(`${d}/${COMPLETE_MARKER}`));
  }

  private hasAnyBlob(prefix: string): boolean {
    for (const path of this.blobs.keys()) if (path.startsWith(prefix)) return true;
    return false;
  }
}

function parse(text: string): string | undefined {
  try {
    return checkpointDirFromSnapshot(JSON.parse(text));
  } catch {
    return undefined; // partially written or not JSON: not usable
  }
}
