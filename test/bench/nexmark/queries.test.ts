/**
 * Every Nexmark query against its plain reference on the same events: at parallelism 1, 2 and
 * 3 on one thread, and with checkpoints and failures injected at the source (the result then
 * equals the reference still: nothing lost, nothing twice).
 */
import t from 'tap';
import { join } from 'node:path';
import { execute } from '../../../runtime/index.js';
import { QUERIES } from '../../../bench/nexmark/queries/index.js';
import { sourceFailures } from '../../../bench/nexmark/bench.js';
import { referenceDigest, resultDigest } from '../../../bench/nexmark/verify.js';
import { tempDir } from '../../support/files.js';

// 12 s of event time: windows fire and auctions close while events still flow, not only at the end.
const STREAM = { events: 6000, rate: 500 };

for (const query of QUERIES) {
  t.test(`${query.name} (${query.title}) equals its reference at parallelism 1, 2 and 3`, async (t) => {
    const expected = referenceDigest(query, STREAM);
    t.ok(expected.rows > 0, `the reference has ${expected.rows} rows`);
    for (const parallelism of [1, 2, 3]) {
      const result = await execute(query.job, { local: true, parallelism, params: { ...STREAM, sink: 'check' } });
      t.same(resultDigest(query, result), expected, `p=${parallelism}`);
    }
  });
}

for (const query of QUERIES) {
  t.test(`${query.name} equals its reference after three failures with checkpoints`, async (t) => {
    const expected = referenceDigest(query, STREAM);
    // Throttled, so that checkpoints complete between the failures and restores start from them.
    const params = { ...STREAM, throttle: 20_000, sink: 'check' };
    for (const [parallelism, backend] of [[1, 'heap'], [2, 'lmdb']] as const) {
      const dir = await tempDir(t, 'nexmark');
      const result = await execute(query.job, {
        local: true, parallelism, stateBackend: backend, stateDir: join(dir, 'state'), params,
        checkpointing: { intervalMs: 10, mode: backend === 'lmdb' ? 'incremental' : 'full', dir: join(dir, 'ckpt') },
        injectFailures: sourceFailures(3, STREAM.events, parallelism).map((s) => s.replace('!exit', '!throw')),
        restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 }, log: () => {},
      });
      t.equal(result.stats.failuresInjected, 3, `p=${parallelism} ${backend}: every failure fired`);
      t.ok(result.stats.restarts.some((r) => r.checkpointId > 0), `p=${parallelism} ${backend}: a restart restored a checkpoint`);
      t.same(resultDigest(query, result), expected, `p=${parallelism} ${backend}: the result equals the reference`);
    }
  });
}
