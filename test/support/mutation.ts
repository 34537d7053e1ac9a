/**
 * Mutations of valid bodies for the parsers' property tests: set, delete, stringify (JSON held in a
 * string), re-case (field names in other casing) and number/string swaps — the real gotchas.
 */
import fc from 'fast-check';

export type Path = (string | number)[];

export function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      paths(x, [...prefix, i], out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const k of Object.keys(v)) {
      out.push([...prefix, k]);
      paths((v as Record<string, unknown>)[k], [...prefix, k], out);
    }
  }
  return out;
}

export type Mutation = { at: number; op: 'set' | 'delete' | 'stringify' | 'recase' | 'numberToString'; value: unknown };

export function mutate(body: unknown, mutations: Mutation[]): unknown {
  let root: unknown = structuredClone(body);
  for (const m of mutations) {
    const all = paths(root);
    if (all.length === 0) {
      root = m.value;
      continue;
    }
    const p = all[m.at % all.length] as Path;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const parent = p.slice(0, -1).reduce<any>((o, k) => o[k], root);
    const key = p[p.length - 1] as string | number;
    const current = parent[key];
    switch (m.op) {
      case 'set':
        parent[key] = m.value;
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 'stringify':
        parent[key] = JSON.stringify(current ?? null);
        break;
      case 'numberToString':
        parent[key] = typeof current === 'number' ? String(current) : typeof current === 'string' ? Number(current) : current;
        break;
      case 'recase':
        if (!Array.isArray(parent) && typeof key === 'string') {
          delete parent[key];
          parent[key.toLowerCase() === key ? key.toUpperCase() : key.toLowerCase()] = current;
        }
        break;
    }
  }
  return root;
}


/** Mutations whose `set` values mix random JSON with `values`: strings that matter to the parser at hand. */
export function mutationArb(values: readonly unknown[]): fc.Arbitrary<Mutation> {
  return fc.record({
    at: fc.nat(),
    op: fc.constantFrom('set', 'delete', 'stringify', 'recase', 'numberToString'),
    value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...values)),
  });
}
