import t from 'tap';
import { Packr } from 'msgpackr';
import { decodeKey, decodeMapKey, encodeKey, KeyFormatError, keyGroupOfKey, KeyWriter, stateHeader } from '../../../backends/format/keys.js';
import { forEachEntry, packValue, STATE_FILE_MAGIC, StateFileEncoder, StateFileParser, unpackValue, type StateFileEntry } from '../../../backends/format/state-file.js';
import { CorruptCheckpointError } from '../../../base/errors.js';

t.test('keys encode to the documented layout and decode back', async (t) => {
  const key = encodeKey(0x0102, stateHeader('ab', 'map'), 'x', 2.5);
  const want = Buffer.concat([
    Buffer.from([0x01, 0x02, 2]), Buffer.from('ab'), Buffer.from('m'),
    Buffer.from('s'), Buffer.from([0, 0, 0, 1]), Buffer.from('x'),
    Buffer.from('n'), Buffer.from(new Float64Array([2.5]).buffer).reverse(),
  ]);
  t.strictSame([...key], [...want], 'keyGroup · nameLen · name · kind · userKey · mapKey');
  t.strictSame(decodeKey(key), { keyGroup: 0x0102, name: 'ab', kind: 'map', userKey: 'x', mapKey: 2.5 });
  t.equal(keyGroupOfKey(key), 0x0102);
  for (const [kind, code] of [['value', 'v'], ['list', 'l'], ['reducing', 'r']] as const) {
    const k = encodeKey(7, stateHeader('état', kind), -0);
    t.equal(String.fromCharCode(k[2 + 1 + Buffer.byteLength('état')]), code, `${kind} is '${code}'`);
    t.strictSame(decodeKey(k), { keyGroup: 7, name: 'état', kind, userKey: 0 }, '-0 is stored as 0');
  }
  t.strictSame(decodeKey(encodeKey(3, stateHeader('v', 'value'), '')).userKey, '', 'an empty string key');
  t.notSame([...encodeKey(1, stateHeader('v', 'value'), 1)], [...encodeKey(1, stateHeader('v', 'value'), '1')], "1 and '1' differ");
  t.throws(() => stateHeader('é'.repeat(128), 'value'), /256 bytes long in UTF-8; at most 255 are allowed/);
  t.doesNotThrow(() => stateHeader('x'.repeat(255), 'value'));
});

t.test('a writer reuses its scratch buffer and exposes the map prefix', async (t) => {
  const w = new KeyWriter();
  const header = stateHeader('m', 'map');
  const a = w.encode(5, header, 'user', 'k1');
  const prefixLen = w.prefixLength;
  t.equal(w.latin1(), a.toString('latin1'));
  t.equal(w.prefixLatin1(), a.subarray(0, prefixLen).toString('latin1'));
  t.equal(decodeMapKey(a, prefixLen), 'k1');
  const copy = Buffer.from(a);
  const long = w.encode(5, header, 'u'.repeat(1000), 'k2');
  t.equal(decodeKey(long).userKey, 'u'.repeat(1000), 'grows for long keys');
  t.strictSame(decodeKey(copy).mapKey, 'k1', 'a copy survives the next encode');
});

t.test('key group order is byte order, so a key-group range is one key range', async (t) => {
  const keys = [300, 2, 256, 1, 0].map((g) => encodeKey(g, stateHeader('v', 'value'), 'k'));
  t.strictSame(keys.sort(Buffer.compare).map(keyGroupOfKey), [0, 1, 2, 256, 300]);
});

t.test('malformed keys throw KeyFormatError', async (t) => {
  const good = encodeKey(1, stateHeader('v', 'value'), 'abc');
  t.throws(() => decodeKey(good.subarray(0, good.length - 1)), KeyFormatError);
  t.throws(() => decodeKey(Buffer.concat([good, Buffer.from([0])])), KeyFormatError);
  const badKind = Buffer.from(good);
  badKind[4] = 0x7a;
  t.throws(() => decodeKey(badKind), /unknown kind byte/);
  t.throws(() => decodeKey(Buffer.from([0, 1])), KeyFormatError);
});

t.test('state values encode to the bytes plain msgpack gives them, whichever build of the encoder writes them', async (t) => {
  // State files are read by restores of other versions and backends: the encoder's own instance (for speed) must not change a byte.
  const plain = new Packr({ useRecords: false, moreTypes: true });
  const values: unknown[] = [0, -1, 2 ** 40, 1.5, 'ü'.repeat(40), null, true, [1, 'a', [2]], { auction: { id: 7, dateTime: 1e12 }, best: { price: 3, bidder: 'x' } }, new Date(5), new Set([3]), 2n ** 70n, new Uint8Array([1, 2])];
  for (const v of values) t.strictSame(packValue(v), plain.pack(v), `${typeof v} ${String(v).slice(0, 20)}`);
});

t.test('values round-trip as plain data', async (t) => {
  const value = { a: [1, 'two', null, true], d: new Date(5), s: new Set([1]), u: undefined, bin: Buffer.from('hi') };
  t.strictSame(unpackValue(packValue(value)), value);
  t.strictSame(unpackValue(packValue(new Map([['k', 1]]))), { k: 1 }, 'a Map comes back as an object');
});

/** Encodes entries with a small chunk size; returns the file bytes and the chunks. */
function encodeFile(entries: [Buffer, Buffer | null][], chunkBytes: number): { bytes: Buffer; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const enc = new StateFileEncoder((c) => void chunks.push(Buffer.from(c)), chunkBytes);
  for (const [k, v] of entries) void enc.add(k, v);
  void enc.finish();
  return { bytes: Buffer.concat(chunks), chunks };
}

const sample = (): [Buffer, Buffer | null][] => [
  [encodeKey(1, stateHeader('v', 'value'), 'a'), packValue({ n: 1 })],
  [encodeKey(1, stateHeader('v', 'value'), 'b'), null],
  [encodeKey(2, stateHeader('l', 'list'), 7), packValue('x'.repeat(5000))],
  [encodeKey(3, stateHeader('m', 'map'), 'u', 'k'), packValue(3)],
];

t.test('the encoder writes magic and entries; the parser reads them across any chunk boundaries', async (t) => {
  const entries = sample();
  const { bytes, chunks } = encodeFile(entries, 64);
  t.ok(chunks.length >= 3, 'small chunks were handed over as they filled; a large entry gets a chunk of its own');
  t.strictSame(bytes.subarray(0, 8), STATE_FILE_MAGIC);
  t.equal(bytes.readUInt32BE(8), entries[0][0].length);
  const tomb = 8 + 8 + entries[0][0].length + entries[0][1]!.length;
  t.equal(bytes.readUInt32BE(tomb + 4 + entries[1][0].length), 0xffffffff, 'a tombstone has length 0xFFFFFFFF');
  for (const size of [1, 3, 13, 4096, bytes.length]) {
    const parser = new StateFileParser('f.sfs');
    const out: StateFileEntry[] = [];
    for (let i = 0; i < bytes.length; i += size) parser.push(Buffer.from(bytes.subarray(i, i + size)), out);
    parser.end();
    t.strictSame(out.map((e) => [[...e.key], e.value && [...e.value]]), entries.map(([k, v]) => [[...k], v && [...v]]), `chunks of ${size} bytes`);
  }
});

t.test('the encoder awaits a slow sink before it takes more entries', async (t) => {
  let inFlight = 0;
  let most = 0;
  const enc = new StateFileEncoder(async () => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
  }, 32);
  for (const [k, v] of sample()) {
    const p = enc.add(k, v);
    if (p) await p;
  }
  await enc.finish();
  t.equal(most, 1, 'one chunk at a time');
  t.equal(enc.entries, 4);
});

t.test('the parser reports damage as CorruptCheckpointError naming the file', async (t) => {
  const { bytes } = encodeFile(sample(), 1 << 20);
  const parse = async (b: Buffer): Promise<unknown> => {
    async function* once(): AsyncIterable<Uint8Array> {
      yield b;
    }
    return forEachEntry('chk-3/full-1.sfs', once(), () => undefined).then(() => undefined, (e: unknown) => e);
  };
  for (const [what, damaged, pattern] of [
    ['bad magic', Buffer.concat([Buffer.from('SFSTATE2'), bytes.subarray(8)]), /bad magic/],
    ['truncated', bytes.subarray(0, bytes.length - 1), /truncated entry at byte/],
    ['cut in a length', bytes.subarray(0, 10), /truncated entry at byte 8/],
    ['short', bytes.subarray(0, 5), /shorter than the 8-byte header/],
    ['tiny key length', Buffer.concat([bytes.subarray(0, 8), Buffer.from([0, 0, 0, 1, 0])]), /has a 1-byte key/],
  ] as const) {
    const err = await parse(damaged);
    t.ok(err instanceof CorruptCheckpointError, what);
    t.match((err as Error).message, /chk-3\/full-1\.sfs/, `${what}: names the file`);
    t.match((err as Error).message, pattern, what);
  }
  t.equal(await parse(bytes), undefined, 'the intact file parses');
});
