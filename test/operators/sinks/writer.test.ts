import t from 'tap';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { BufferedWriter } from '../../../operators/sinks/writer.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A Writable that records every chunk; with `hold`, write callbacks wait until release(). */
class Recorder extends Writable {
  chunks: string[] = [];
  private held: ((err?: Error | null) => void)[] = [];

  constructor(private readonly hold = false, highWaterMark = 16 * 1024) {
    super({ highWaterMark, decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    if (this.hold) this.held.push(cb);
    else cb();
  }

  /** Completes held writes, optionally failing the first. */
  release(err?: Error): void {
    const held = this.held;
    this.held = [];
    held.forEach((cb, i) => cb(i === 0 ? err : undefined));
  }

  get pending(): number {
    return this.held.length;
  }
}

t.test('writes in one event-loop turn are coalesced into one write', async (t) => {
  const s = new Recorder();
  const w = new BufferedWriter(s);
  w.write('a');
  w.write('bc');
  w.write('d\n');
  t.strictSame(s.chunks, [], 'nothing is written synchronously');
  await turn();
  t.strictSame(s.chunks, ['abcd\n'], 'one underlying write with everything');
  w.write('e');
  await turn();
  w.write('f');
  w.write('g');
  await turn();
  t.strictSame(s.chunks, ['abcd\n', 'e', 'fg'], 'each turn gives its own write');
  await turn();
  t.equal(s.chunks.length, 3, 'no empty writes when nothing was queued');
});

t.test('flushes immediately once flushBytes pile up', async (t) => {
  const s = new Recorder();
  const w = new BufferedWriter(s, 10);
  w.write('12345');
  t.strictSame(s.chunks, []);
  w.write('67890');
  t.strictSame(s.chunks, ['1234567890'], 'reaching flushBytes writes synchronously');
  w.write('x');
  t.strictSame(s.chunks, ['1234567890']);
  await turn();
  t.strictSame(s.chunks, ['1234567890', 'x'], 'the rest goes at the end of the turn');
  w.flush();
  t.equal(s.chunks.length, 2, 'explicit flush with nothing queued writes nothing');
});

t.test('blocked() is a promise while the stream is full and resolves on drain', async (t) => {
  const s = new Recorder(true, 4);
  const w = new BufferedWriter(s);
  t.equal(w.blocked(), null, 'not blocked initially');
  w.write('short');
  t.equal(w.blocked(), null, 'not blocked before the flush');
  await turn();
  t.equal(s.pending, 1, 'the write reached the stream');
  const p = w.blocked();
  t.ok(p instanceof Promise, 'blocked while write returned false');
  t.equal(w.blocked(), p, 'the same promise until drained');
  let resolved = false;
  void p!.then(() => (resolved = true));
  await turn();
  await turn();
  t.equal(resolved, false, 'still pending before drain');
  w.write('more');
  await turn();
  t.equal(s.pending, 1, 'further writes are buffered by the stream');
  s.release();
  await turn();
  s.release();
  await p;
  t.equal(resolved, true, 'resolved on drain');
  t.equal(w.blocked(), null, 'not blocked after drain');
  t.strictSame(s.chunks, ['short', 'more']);
});

t.test('a stream that accepts writes never blocks', async (t) => {
  const s = new Recorder(false, 1024);
  const w = new BufferedWriter(s);
  for (let i = 0; i < 10; i++) {
    w.write('line\n');
    await turn();
    t.equal(w.blocked(), null);
  }
});

t.test('finish(true) flushes, ends the stream and waits until written', async (t) => {
  const s = new Recorder(true, 4);
  const w = new BufferedWriter(s);
  w.write('abc');
  w.write('def');
  let done = false;
  const f = w.finish(true).then(() => (done = true));
  t.strictSame(s.chunks, ['abcdef'], 'finish flushes synchronously');
  await turn();
  t.equal(done, false, 'waits for the held write');
  s.release();
  await f;
  t.equal(done, true);
  t.equal(s.writableFinished, true, 'stream ended and finished');
});

t.test('finish(false) flushes without ending the stream', async (t) => {
  const s = new Recorder();
  const w = new BufferedWriter(s);
  w.write('x');
  await w.finish(false);
  t.strictSame(s.chunks, ['x']);
  t.equal(s.writableEnded, false, 'stream stays open');
  w.write('y');
  await turn();
  t.strictSame(s.chunks, ['x', 'y'], 'still usable');
});

t.test('a stream error makes write throw and blocked reject', async (t) => {
  const s = new Recorder(true, 1024);
  const w = new BufferedWriter(s);
  w.write('a');
  await turn();
  s.release(new Error('disk full'));
  await turn();
  t.throws(() => w.write('b'), /disk full/, 'write throws');
  const b = w.blocked();
  t.ok(b instanceof Promise, 'blocked returns a promise');
  await t.rejects(b!, /disk full/, 'blocked rejects');
  await t.rejects(w.finish(true), /disk full/, 'finish(true) rejects');
  await t.rejects(w.finish(false), /disk full/, 'finish(false) rejects');
});

t.test('an error while blocked rejects the pending blocked promise', async (t) => {
  const s = new Recorder(true, 2);
  const w = new BufferedWriter(s);
  w.write('abcdef');
  await turn();
  const p = w.blocked();
  t.ok(p instanceof Promise);
  const check = t.rejects(p!, /broken pipe/);
  s.release(new Error('broken pipe'));
  await check;
  t.throws(() => w.write('x'), /broken pipe/);
});

t.test('an error while ending makes finish(true) reject', async (t) => {
  const s = new Writable({
    write: (_c, _e, cb) => cb(),
    final: (cb) => cb(new Error('final failed')),
  });
  const w = new BufferedWriter(s);
  w.write('z');
  await t.rejects(w.finish(true), /final failed/);
  const s2 = new Writable({ write: (_c, _e, cb) => setImmediate(() => cb(new Error('late failure'))) });
  const w2 = new BufferedWriter(s2);
  w2.write('z');
  await t.rejects(w2.finish(true), /late failure/, 'an error on the last write rejects finish(true)');
});

t.test('a stream error while draining, before anyone asks blocked(), is not an unhandled rejection', async (t) => {
  // An unobserved rejection would terminate the process; a child process keeps a regression from taking tap down.
  const writerUrl = new URL('../../../operators/sinks/writer.js', import.meta.url).href;
  const script = `
    import { Writable } from 'node:stream';
    const { BufferedWriter } = await import(${JSON.stringify(writerUrl)});
    const s = new Writable({ highWaterMark: 4, write: (c, e, cb) => cb(new Error('disk gone')) });
    const w = new BufferedWriter(s);
    w.write('more than four bytes');
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    let rejected = false;
    try { await w.blocked(); } catch { rejected = true; }
    console.log('blocked rejected: ' + rejected);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(child.status, 0, `child exits cleanly (stderr: ${child.stderr.split('\n').find((l) => /Error/.test(l)) ?? ''})`);
  t.match(child.stdout, /blocked rejected: true/, 'the error is reported through blocked()');
});
