/**
 * The overlay of the LMDB backend: writes not yet committed, as encoded bytes or
 * tombstones, keyed by the binary key as a latin1 string. Frozen overlays never change.
 */

/**
 * lmdb-js's fast reads return its reusable buffer with `length` overridden as an own
 * property; a subarray of that length is a real view that Buffer methods treat correctly.
 */
export function exactView(fast: Buffer | undefined): Buffer | undefined {
  return fast === undefined ? undefined : fast.subarray(0, fast.length);
}

/** Marks a key deleted in an overlay. */
export const TOMBSTONE: unique symbol = Symbol('tombstone');
/** An overlay's value: encoded bytes, or a deletion. */
export type OverlayValue = Buffer | typeof TOMBSTONE;

/** Writes not yet committed to LMDB, keyed by the binary key as a latin1 string. */
export class Overlay {
  readonly entries = new Map<string, OverlayValue>();
  /** Order in which overlays were frozen (later writes have higher numbers). */
  seq = 0;
  /** Map-state prefix → this overlay's keys under it, so iterating one map does not scan the overlay. */
  readonly maps = new Map<string, Set<string>>();
  /** While it takes writes and the store logs changes: its keys last written as a value a snapshot holds already, not as a change. */
  unchanged: Set<string> | undefined;

  /** Records a write; `mapPrefix` is given for map-state entries. */
  set(key: string, value: OverlayValue, mapPrefix: string | undefined): void {
    this.entries.set(key, value);
    if (mapPrefix === undefined) return;
    const keys = this.maps.get(mapPrefix);
    if (keys) keys.add(key);
    else this.maps.set(mapPrefix, new Set([key]));
  }
}
