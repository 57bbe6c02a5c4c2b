// RFC 6902 add / replace / remove on RFC 6901 pointers — all the state patches the appliance sends.
import type { JsonPatchOp } from '../../../appliance/ws-protocol';

const unescapeToken = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

export function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`bad JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescapeToken);
}

/** Applies ops in place (keeps Vue reactivity) and returns the document (new only when the root is replaced). */
export function applyPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  let root: unknown = doc;
  for (const op of ops) {
    const parts = parsePointer(op.path);
    if (parts.length === 0) {
      if (op.op === 'remove') throw new Error('cannot remove the root');
      root = op.value;
      continue;
    }
    const key = parts.pop()!;
    let parent: any = root;
    for (const p of parts) {
      parent = parent?.[p];
      if (parent === null || typeof parent !== 'object') throw new Error(`no parent for ${op.path}`);
    }
    if (parent === null || typeof parent !== 'object') throw new Error(`no parent for ${op.path}`);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new Error(`bad index in ${op.path}`);
      if (op.op === 'add') parent.splice(i, 0, op.value);
      else if (op.op === 'replace') parent[i] = op.value;
      else parent.splice(i, 1);
    } else if (op.op === 'remove') {
      if (!(key in parent)) throw new Error(`nothing to remove at ${op.path}`);
      delete parent[key];
    } else {
      parent[key] = op.value;
    }
  }
  return root as T;
}
