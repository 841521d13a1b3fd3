/**
 * Shared pieces of the backend tests: backends in temporary folders, a seeded PRNG, and a
 * plain model of keyed state that random operations update alongside a backend.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createKeyedBackend, DEFAULT_REBASE } from '../../backends/factory.js';
import { HeapKeyedStateBackend } from '../../backends/heap/backend.js';
import { LmdbKeyedStateBackend } from '../../backends/lmdb/backend.js';
import type { OverlayStoreOptions } from '../../backends/lmdb/store.js';
import type { KeyedBackendOptions, KeyedStateBackend, StateKey } from '../../backends/state.js';
import { keyGroupOf } from '../../base/keygroups.js';
import type { BackendKind } from '../../base/kinds.js';

/** Key groups of the tests (max parallelism 128). */
export const MAX_PARALLELISM = 128;

/** A fresh temporary folder path (not created: the LMDB backend creates and removes it). */
export function tempDir(label: string): string {
  return path.join(os.tmpdir(), `snapflow-${label}-${process.pid}-${randomUUID().slice(0, 8)}`);
}

/** Options of makeBackend. */
export interface MakeBackendOptions extends Partial<KeyedBackendOptions> {
  kind: BackendKind;
  /** LMDB overlay tuning (smaller batches make flushes happen in small tests). */
  tuning?: Partial<OverlayStoreOptions>;
}

/** Creates a backend in a temporary folder; all key groups unless told. */
export function makeBackend(o: MakeBackendOptions): KeyedStateBackend {
  const opts: KeyedBackendOptions = {
    mode: 'full',
    keyGroups: { start: 0, end: MAX_PARALLELISM - 1 },
    workDir: tempDir(o.kind),
    ...DEFAULT_REBASE,
    ...o,
  };
  if (o.tuning && o.kind === 'lmdb') return new LmdbKeyedStateBackend(opts, o.tuning);
  return createKeyedBackend(opts);
}

/** Whether a backend is the heap one. */
export function isHeap(b: KeyedStateBackend): boolean {
  return b instanceof HeapKeyedStateBackend;
}

/** Sets a key as current with its real key group. */
export function enter(b: KeyedStateBackend, key: StateKey): void {
  b.setCurrentKey(key, keyGroupOf(key, MAX_PARALLELISM));
}

/** Expected state of the four test states, per user key. */
export class Model {
  values = new Map<StateKey, { n: number; tag: string }>();
  maps = new Map<StateKey, Map<StateKey, number>>();
  lists = new Map<StateKey, number[]>();
  sums = new Map<StateKey, number>();

  /** A deep copy: the model as of now. */
  clone(): Model {
    const m = new Model();
    m.values = structuredClone(this.values);
    m.maps = structuredClone(this.maps);
    m.lists = structuredClone(this.lists);
    m.sums = new Map(this.sums);
    return m;
  }

  /** Entries a backend should report: one per (state, key). */
  entryCount(): number {
    return this.values.size + this.lists.size + this.sums.size + this.maps.size;
  }
}

/** A universe of user keys: strings and numbers, including '1' and 1. */
export function userKeys(n: number): StateKey[] {
  const out: StateKey[] = [];
  for (let i = 0; i < n; i++) out.push(i % 3 === 0 ? i : `key-${i}`);
  out.push('1', 1.5, -7);
  return out;
}

const sum = (a: number, b: number): number => a + b;

/** A backend and its model, changed together by random operations over a universe of keys. */
export interface Workload {
  backend: KeyedStateBackend;
  model: Model;
  rnd: () => number;
  keys: StateKey[];
}

/** Applies `count` random operations to the backend and the model alike. */
export function randomOps(w: Workload, count: number): void {
  const { backend: b, model, rnd, keys } = w;
  const v = b.valueState<{ n: number; tag: string }>('v');
  const m = b.mapState<StateKey, number>('m');
  const l = b.listState<number>('l');
  const r = b.reducingState<number>('r', sum);
  for (let i = 0; i < count; i++) {
    const key = keys[Math.floor(rnd() * keys.length)];
    enter(b, key);
    const op = Math.floor(rnd() * 12);
    const x = Math.floor(rnd() * 1000);
    switch (op) {
      case 0: case 1: {
        const prev = v.value();
        const next = { n: (prev?.n ?? 0) + x, tag: `t${x}` };
        v.update(next);
        model.values.set(key, { ...next });
        break;
      }
      case 2: v.clear(); model.values.delete(key); break;
      case 3: case 4: {
        const mk: StateKey = x % 2 === 0 ? x % 17 : `m${x % 13}`;
        m.put(mk, x);
        if (!model.maps.has(key)) model.maps.set(key, new Map());
        model.maps.get(key)!.set(mk, x);
        break;
      }
      case 5: {
        const mk: StateKey = x % 2 === 0 ? x % 17 : `m${x % 13}`;
        m.remove(mk);
        const mm = model.maps.get(key);
        mm?.delete(mk);
        if (mm?.size === 0) model.maps.delete(key);
        break;
      }
      case 6: m.clear(); model.maps.delete(key); break;
      case 7: l.add(x); model.lists.set(key, [...(model.lists.get(key) ?? []), x]); break;
      case 8: l.addAll([x, x + 1]); model.lists.set(key, [...(model.lists.get(key) ?? []), x, x + 1]); break;
      case 9: l.update(x % 5 === 0 ? [] : [x]); if (x % 5 === 0) model.lists.delete(key); else model.lists.set(key, [x]); break;
      case 10: r.add(x); model.sums.set(key, (model.sums.get(key) ?? 0) + x); break;
      default: r.clear(); model.sums.delete(key); break;
    }
  }
}

/** Reads every state of every key through the API; differences as readable strings (empty when equal). */
export function differences(b: KeyedStateBackend, model: Model, keys: StateKey[], inRange: (k: StateKey) => boolean = () => true): string[] {
  const v = b.valueState<{ n: number; tag: string }>('v');
  const m = b.mapState<StateKey, number>('m');
  const l = b.listState<number>('l');
  const r = b.reducingState<number>('r', sum);
  const out: string[] = [];
  const check = (what: string, key: StateKey, got: unknown, want: unknown): void => {
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${what}[${JSON.stringify(key)}]: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  const sorted = (entries: Iterable<[StateKey, number]>): [StateKey, number][] =>
    [...entries].sort((a, c) => String(typeof a[0]) + String(a[0]) < String(typeof c[0]) + String(c[0]) ? -1 : 1);
  for (const key of keys) {
    enter(b, key);
    const keep = inRange(key);
    check('value', key, v.value(), keep ? model.values.get(key) : undefined);
    check('map', key, sorted(m.entries()), keep ? sorted(model.maps.get(key) ?? []) : []);
    check('list', key, l.get(), keep ? model.lists.get(key) ?? [] : []);
    check('sum', key, r.get(), keep ? model.sums.get(key) : undefined);
  }
  return out;
}

/** Disposes backends, ignoring the ones already disposed. */
export async function disposeAll(backends: KeyedStateBackend[]): Promise<void> {
  for (const b of backends) await b.dispose();
}
