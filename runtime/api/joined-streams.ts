/**
 * Window joins, built as Flink builds them: each side's records are tagged with their side and
 * keyed by their side's key, the two become one stream, and a window over it pairs every left
 * record of a key with every right one of that window when it fires.
 */
import { ConfigError } from '../../base/errors.js';
import type { StateKey } from '../../base/keygroups.js';
import type { WindowAssigner } from '../../operators/windows/assigners.js';
import type { DataStream, JoinedStreams, JoinEqualTo, JoinWhere, JoinWindowed } from './types.js';

/** A record of either side, tagged with its side. */
type Tagged<A, B> = { side: 0; v: A } | { side: 1; v: B };

/** A window join being described. */
export class JoinedStreamsImpl<A, B> implements JoinedStreams<A, B> {
  constructor(private readonly left: DataStream<A>, private readonly right: DataStream<B>) {}

  where<K extends StateKey>(keyA: (record: A) => K): JoinWhere<A, B, K> {
    const { left, right } = this;
    return {
      equalTo: (keyB: (record: B) => K): JoinEqualTo<A, B, K> => ({
        window: (assigner: WindowAssigner): JoinWindowed<A, B, K> => ({
          apply: <R>(fn: (l: A, r: B, key: K) => R, name = 'WindowJoin'): DataStream<R> => {
            if (typeof keyA !== 'function' || typeof keyB !== 'function') throw new ConfigError('join', 'where and equalTo expect key selectors');
            if (typeof fn !== 'function') throw new ConfigError(`operator "${name}"`, 'apply expects a function (left, right, key)');
            const tagged = left.map((v): Tagged<A, B> => ({ side: 0, v }), `${name}: left`)
              .union(right.map((v): Tagged<A, B> => ({ side: 1, v }), `${name}: right`));
            return tagged
              .keyBy((t): K => (t.side === 0 ? keyA(t.v) : keyB(t.v)))
              .window(assigner)
              .process<R>((elements, w, out) => {
                const rights = elements.filter((e) => e.side === 1);
                for (const l of elements) if (l.side === 0) for (const r of rights) out.collect(fn(l.v, r.v as B, w.key));
              }, name);
          },
        }),
      }),
    };
  }
}
