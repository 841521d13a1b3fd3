/** The pacer of rate-limited sources, driven by scripted times. */
import t from 'tap';
import { Pacer } from '../../base/pacer.js';

t.test('items fall due at the rate from the first call, and a backlog is due at once', async (t) => {
  const p = new Pacer(0.5);
  t.equal(p.due(1000), 1, 'the first is due at once, whenever the first call comes');
  p.emitted(1);
  t.equal(p.due(1001), 0, 'half an item per ms: none more after 1 ms');
  t.equal(p.waitMs(1001), 1, 'the next one in 1 ms');
  t.equal(p.due(1002), 1);
  p.emitted(1);
  t.equal(p.due(1020), 9, 'a source that fell behind may catch up at once');
  p.emitted(9);
  t.equal(p.due(1020), 0);
  t.equal(p.waitMs(1020), 2);
});
