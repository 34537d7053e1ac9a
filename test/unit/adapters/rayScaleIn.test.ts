/** The RayCluster scale-in JSON patch (research/control-plane.md §4.3; fixture raycluster.scale-in.json-patch.json). */
import { describe, expect, it } from 'vitest';
import { patchRefusal, planScaleIn } from '../../../shared/adapters/kubernetes/rayScaleIn.js';

function rayCluster(group: Record<string, unknown>, resourceVersion = '4812337') {
  return {
    apiVersion: 'ray.io/v1', kind: 'RayCluster',
    metadata: { name: 'rc-llama-ft', namespace: 'ray', resourceVersion },
    spec: { workerGroupSpecs: [{ groupName: 'cpu', replicas: 1 }, { groupName: 'h100', ...group }] },
  };
}
const live = (...names: string[]) => new Set(names);

describe('planScaleIn', () => {
  it('tests the resourceVersion, lowers replicas by the victims and lists them, as the research fixture does', () => {
    const plan = planScaleIn(rayCluster({ replicas: 2, minReplicas: 0, scaleStrategy: { workersToDelete: [] } }), 'h100', ['rc-llama-ft-h100-worker-9qz4l'], live('rc-llama-ft-h100-worker-9qz4l', 'rc-llama-ft-h100-worker-x7b2c'));
    expect(plan).toEqual({
      kind: 'patch', replicas: 1, victims: ['rc-llama-ft-h100-worker-9qz4l'], resourceVersion: '4812337',
      ops: [
        { op: 'test', path: '/metadata/resourceVersion', value: '4812337' },
        { op: 'replace', path: '/spec/workerGroupSpecs/1/replicas', value: 1 },
        { op: 'replace', path: '/spec/workerGroupSpecs/1/scaleStrategy/workersToDelete', value: ['rc-llama-ft-h100-worker-9qz4l'] },
      ],
    });
  });

  it('skips pods already listed or gone, keeps the listed ones, and adds a missing scaleStrategy', () => {
    const listed = planScaleIn(rayCluster({ replicas: 3, scaleStrategy: { workersToDelete: ['w-a'] } }), 'h100', ['w-a', 'w-b', 'w-gone'], live('w-a', 'w-b'));
    expect(listed).toMatchObject({ kind: 'patch', replicas: 2, victims: ['w-b'] });
    expect(listed.kind === 'patch' && listed.ops[2]).toEqual({ op: 'replace', path: '/spec/workerGroupSpecs/1/scaleStrategy/workersToDelete', value: ['w-a', 'w-b'] });

    const bare = planScaleIn(rayCluster({ replicas: 2 }), 'h100', ['w-b'], live('w-b'));
    expect(bare.kind === 'patch' && bare.ops[2]).toEqual({ op: 'add', path: '/spec/workerGroupSpecs/1/scaleStrategy', value: { workersToDelete: ['w-b'] } });

    const noList = planScaleIn(rayCluster({ replicas: 2, scaleStrategy: {} }), 'h100', ['w-b'], live('w-b'));
    expect(noList.kind === 'patch' && noList.ops[2]).toEqual({ op: 'add', path: '/spec/workerGroupSpecs/1/scaleStrategy/workersToDelete', value: ['w-b'] });
  });

  it('never goes below minReplicas (KubeRay replaces the victims), counts multi-host replicas in hosts, adds missing replicas', () => {
    expect(planScaleIn(rayCluster({ replicas: 2, minReplicas: 2 }), 'h100', ['w-a'], live('w-a'))).toMatchObject({ kind: 'patch', replicas: 2 });
    expect(planScaleIn(rayCluster({ replicas: 3, numOfHosts: 2 }), 'h100', ['w-a', 'w-b', 'w-c'], live('w-a', 'w-b', 'w-c'))).toMatchObject({ replicas: 1 });
    const noReplicas = planScaleIn(rayCluster({}), 'h100', ['w-a'], live('w-a'));
    expect(noReplicas.kind === 'patch' && noReplicas.ops[1]).toEqual({ op: 'add', path: '/spec/workerGroupSpecs/1/replicas', value: 0 });
  });

  it('nothing to do for a repeat or pods already deleted; noGroup for an unknown group; throws without a resourceVersion', () => {
    expect(planScaleIn(rayCluster({ replicas: 1, scaleStrategy: { workersToDelete: ['w-a'] } }), 'h100', ['w-a'], live('w-a'))).toEqual({ kind: 'nothingToDo' });
    expect(planScaleIn(rayCluster({ replicas: 1 }), 'h100', ['w-a'], live())).toEqual({ kind: 'nothingToDo' });
    expect(planScaleIn(rayCluster({ replicas: 1 }), 'a100', ['w-a'], live('w-a'))).toEqual({ kind: 'noGroup' });
    expect(() => planScaleIn({ spec: { workerGroupSpecs: [] } }, 'h100', ['w-a'], live('w-a'))).toThrow(/resourceVersion/);
  });
});

describe('patchRefusal', () => {
  it("is a conflict (409) or a patch the API server could not apply (422 without causes: jsonpatch's reason is dropped)", () => {
    expect(patchRefusal(409, '{"kind":"Status","reason":"Conflict","code":409}')).toBe('conflict');
    expect(patchRefusal(422, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}')).toBe('notApplied');
    expect(patchRefusal(422, '{"kind":"Status","message":"x","details":{"causes":[{"message":"testing value /metadata/resourceVersion failed: test failed"}]},"code":422}')).toBe('notApplied');
  });

  it('is undefined for schema validation (a 422 with causes) and anything else', () => {
    expect(patchRefusal(422, JSON.stringify({ kind: 'Status', reason: 'Invalid', message: 'RayCluster.ray.io "rc" is invalid: spec.workerGroupSpecs[1].replicas: Invalid value: -1', details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec.workerGroupSpecs[1].replicas' }] }, code: 422 }))).toBeUndefined();
    expect(patchRefusal(400, 'test failed')).toBeUndefined();
    expect(patchRefusal(422, 'not json')).toBeUndefined();
  });
});
