/** The stream factory every job's builder hands out: the one place that knows every kind of stream. */
import type { StreamFactory } from './builder.js';
import { DataStreamImpl } from './data-stream.js';
import { KeyedStreamImpl } from './keyed-stream.js';
import { WindowedStreamImpl } from './windowed-stream.js';
import { ConnectedStreamsImpl, IntervalJoinImpl } from './connected-streams.js';
import { JoinedStreamsImpl } from './joined-streams.js';

/** Creates the streams of the job API. */
export const STREAMS: StreamFactory = {
  data: (builder, inputs) => new DataStreamImpl(builder, inputs),
  keyed: (builder, inputs) => new KeyedStreamImpl(builder, inputs),
  windowed: (builder, inputs, assigner) => new WindowedStreamImpl(builder, inputs, assigner),
  connected: (builder, a, b) => new ConnectedStreamsImpl(builder, a, b),
  intervalJoin: (builder, a, b) => new IntervalJoinImpl(builder, a, b),
  joined: (left, right) => new JoinedStreamsImpl(left, right),
};
