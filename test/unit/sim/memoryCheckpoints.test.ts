import { describe, expect, it } from 'vitest';
import { MemoryCheckpoints } from '../../../local/sim/memoryCheckpoints.js';

const snapshot = (dir: string) => JSON.stringify({ ray_version: '2.52.0', checkpoint_results: [{ checkpoint_dir_name: dir }], latest_checkpoint_result: { checkpoint_dir_name: dir } });

describe('checkpoints in memory, with the Blob store rules', () => {
  it('trusts the snapshot when its directory still holds a file', async () => {
    const c = new MemoryCheckpoints();
    await c.write('runs/a/checkpoint_000200/model.pt', 'w');
    await c.write('runs/a/checkpoint_000300/model.pt', 'w');
    await c.write('runs/a/checkpoint_manager_snapshot.json', snapshot('checkpoint_000200'));
    expect(await c.latestComplete('runs/a/')).toBe('runs/a/checkpoint_000200');
  });

  it('without a usable snapshot, takes the newest directory with a .complete marker, never a bare one', async () => {
    const c = new MemoryCheckpoints();
    await c.write('runs/b/checkpoint_manager_snapshot.json', '{"truncat');
    await c.write('runs/b/checkpoint_000009/.complete', '');
    await c.write('runs/b/checkpoint_000010/.complete', '');
    await c.write('runs/b/checkpoint_000011/model.pt', 'still uploading');
    expect(await c.latestComplete('runs/b')).toBe('runs/b/checkpoint_000010');
    await c.write('runs/b/checkpoint_manager_snapshot.json', snapshot('checkpoint_000099')); // pruned: nothing there
    expect(await c.latestComplete('runs/b/')).toBe('runs/b/checkpoint_000010');
    expect(await c.latestComplete('runs/none/')).toBeUndefined();
  });
});
