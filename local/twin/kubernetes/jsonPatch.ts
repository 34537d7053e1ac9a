/**
 * The patch formats the API server applies: JSON Patch (RFC 6902: add, remove, replace, move, copy, test) and
 * JSON Merge Patch (RFC 7386). Both return a new document and never change their input.
 *
 * A JSON patch that is not a list of operations is a decoding error (the API server answers 400); one that
 * cannot be applied — a failed `test`, a path that does not exist — is a `PatchNotApplied` (422).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class PatchDecodeError extends Error {}
export class PatchNotApplied extends Error {}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

const isObject = (v: unknown): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

export function decodeJsonPatch(body: unknown): Operation[] {
  if (!Array.isArray(body)) {
    throw new PatchDecodeError(`json: cannot unmarshal ${isObject(body) ? 'object' : typeof body} into Go value of type jsonpatch.Patch`);
  }
  return body.map((raw, i) => {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw new PatchDecodeError(`operation ${i} needs string "op" and "path"`);
    }
    if (!OPS.has(raw['op'])) throw new PatchDecodeError(`Unexpected kind: ${raw['op']}`);
    const op: Operation = { op: raw['op'] as Operation['op'], path: raw['path'] };
    if (typeof raw['from'] === 'string') op.from = raw['from'];
    if ('value' in raw) op.value = raw['value'] as Json;
    return op;
  });
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchNotApplied(`invalid JSON pointer ${path}`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The container holding the last token of `path`, and that token. */
function parentOf(doc: Json, path: string): { parent: Json; key: string } {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new PatchNotApplied('the root cannot be the target');
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[index(node, t, false)] : isObject(node) ? node[t] : undefined;
    if (next === undefined) throw new PatchNotApplied(`doc is missing path: ${path}`);
    node = next;
  }
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function index(arr: Json[], token: string, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchNotApplied(`invalid array index: ${token}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchNotApplied(`array index out of bounds: ${token}`);
  return i;
}

function get(doc: Json, path: string): Json {
  let node: Json = doc;
  for (const t of pointer(path)) {
    const next: Json | undefined = Array.isArray(node) ? node[index(node, t, false)] : isObject(node) ? node[t] : undefined;
    if (next === undefined) throw new PatchNotApplied(`doc is missing path: ${path}`);
    node = next;
  }
  return node;
}

function add(doc: Json, path: string, value: Json): Json {
  if (path === '') return value;
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, true), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw new PatchNotApplied(`cannot add to a value at ${path}`);
  return doc;
}

function remove(doc: Json, path: string): Json {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, false), 1);
  else if (isObject(parent) && key in parent) delete parent[key];
  else throw new PatchNotApplied(`remove operation does not apply: doc is missing path: ${path}`);
  return doc;
}

export function applyJsonPatch(document: Json, operations: readonly Operation[]): Json {
  let doc: Json = structuredClone(document);
  for (const op of operations) {
    switch (op.op) {
      case 'test':
        if (!deepEqual(get(doc, op.path), op.value)) throw new PatchNotApplied(`testing value ${op.path} failed: test failed`);
        break;
      case 'add':
        if (op.value === undefined) throw new PatchNotApplied('add operation has no value');
        doc = add(doc, op.path, structuredClone(op.value));
        break;
      case 'remove':
        doc = remove(doc, op.path);
        break;
      case 'replace':
        if (op.value === undefined) throw new PatchNotApplied('replace operation has no value');
        get(doc, op.path); // must exist
        doc = op.path === '' ? structuredClone(op.value) : add(remove(doc, op.path), op.path, structuredClone(op.value));
        break;
      case 'move': {
        if (op.from === undefined) throw new PatchNotApplied('move operation has no from');
        const value = get(doc, op.from);
        doc = add(remove(doc, op.from), op.path, value);
        break;
      }
      case 'copy':
        if (op.from === undefined) throw new PatchNotApplied('copy operation has no from');
        doc = add(doc, op.path, structuredClone(get(doc, op.from)));
        break;
    }
  }
  return doc;
}

/** RFC 7386: objects merge key by key, `null` deletes, anything else (lists included) replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: { [key: string]: Json } = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k] ?? null, v);
  }
  return out;
}
