import t from 'tap';
import { WatermarkValve } from '../../../runtime/actor/watermark-valve.js';

t.test('the combined watermark is the minimum over the channels and never goes back', async (t) => {
  const v = new WatermarkValve(2);
  t.same(v.onWatermark(0, 10), {}, 'channel 1 has no watermark yet');
  t.same(v.onWatermark(1, 5), { watermark: 5 });
  t.same(v.onWatermark(1, 20), { watermark: 10 }, 'now channel 0 holds it back');
  t.same(v.onWatermark(0, 8), {}, 'a channel going back is ignored');
  t.same(v.onWatermark(0, 15), { watermark: 15 });
  t.equal(v.watermark, 15);
});

t.test('two inputs at different speeds: the slow one sets the pace', async (t) => {
  const v = new WatermarkValve(2);
  const seen: number[] = [];
  for (let i = 1; i <= 10; i++) {
    for (const out of [v.onWatermark(0, i * 100), i % 2 === 0 ? v.onWatermark(1, i * 30) : {}]) if (out.watermark !== undefined) seen.push(out.watermark);
  }
  t.same(seen, [60, 120, 180, 240, 300], 'each advance of the slow channel, nothing from the fast one');
});

t.test('an idle channel holds nothing back, and the input is idle only when every channel is', async (t) => {
  const v = new WatermarkValve(3);
  v.onWatermark(0, 100);
  v.onWatermark(1, 50);
  t.same(v.onWatermark(2, 10), { watermark: 10 });
  t.same(v.onStatus(2, true), { watermark: 50 }, 'the idle channel is left out');
  t.same(v.onStatus(1, true), { watermark: 100 });
  t.same(v.onStatus(0, true), { idle: true }, 'all idle: the input is idle, the watermark waits');
  t.same(v.onWatermark(0, 200), {}, 'a watermark of an idle channel does not count');
  t.same(v.onStatus(1, false), { idle: false }, 'active again, but behind: no regression');
  t.same(v.onWatermark(1, 150), { watermark: 150 });
  t.equal(v.isIdle, false);
});

t.test('an input that ends counts as +∞; once all have ended the watermark is +∞', async (t) => {
  const v = new WatermarkValve(2);
  v.onWatermark(0, 5);
  t.same(v.onWatermark(1, 7), { watermark: 5 });
  t.same(v.onEnd(0), { watermark: 7 }, 'the ended channel no longer holds it back');
  t.same(v.onEnd(1), { watermark: Infinity });
  t.throws(() => v.onWatermark(1, 9), /already ended/);
});

t.test('an idle channel that ends, and a lone idle channel', async (t) => {
  const v = new WatermarkValve(2);
  t.same(v.onStatus(0, true), {}, 'one of two idle: the other still counts');
  t.same(v.onStatus(1, true), { idle: true });
  t.same(v.onEnd(0), { idle: false, watermark: Infinity }, 'an ended channel is active at +∞');
});

t.test('bad input is refused with the channel named', async (t) => {
  const v = new WatermarkValve(1);
  t.throws(() => v.onWatermark(3, 1), /channel 3: no such input channel \(the actor has channels 0\.\.0\)/);
  t.throws(() => v.onWatermark(0, NaN), /NaN is not a time/);
  t.throws(() => new WatermarkValve(0), /at least one input channel/);
});
