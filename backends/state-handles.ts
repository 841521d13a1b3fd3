/**
 * A backend's state handles, one per state kind and name, kept once made. A job asks for its
 * handle on every record (`ctx.valueState('open')`), so a lookup is a map per kind keyed by the
 * name the job passes: no key string is built, and a name given as a literal is hashed once.
 */
import type { StateKind } from './format/keys.js';

/** Handles by kind, then by name. */
export class StateHandles {
  private readonly byKind: Record<StateKind, Map<string, unknown>> = { value: new Map(), map: new Map(), list: new Map(), reducing: new Map(), timer: new Map() };

  /** The handle of state `name` of this kind, if made. */
  find<H>(kind: StateKind, name: string): H | undefined {
    return this.byKind[kind].get(name) as H | undefined;
  }

  /** Keeps a new handle; returns it. */
  add<H>(kind: StateKind, name: string, handle: H): H {
    this.byKind[kind].set(name, handle);
    return handle;
  }

  /** Forgets every handle. */
  clear(): void {
    for (const handles of Object.values(this.byKind)) handles.clear();
  }
}
