/** The stream factory every job's builder hands out: the one place that knows every kind of stream. */
import type { StreamFactory } from './builder.js';
import { DataStreamImpl } from './data-stream.js';
import { KeyedStreamImpl } from './keyed-stream.js';
import { WindowedStreamImpl } from './windowed-stream.js';

/** Creates the streams of the job API. */
export const STREAMS: StreamFactory = {
  data: (builder, node, edge) => new DataStreamImpl(builder, node, edge),
  keyed: (builder, node, selector, tag) => new KeyedStreamImpl(builder, node, selector, tag),
  windowed: (builder, node, edge, assigner) => new WindowedStreamImpl(builder, node, edge, assigner),
};
