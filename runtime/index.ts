/** The public API of snapflow: what a job module and a program that runs jobs import. */
export { execute, type ExecuteOptions } from './execute.js';
export { WorkerPool } from './hosts/worker-pool.js';
export { defineJob, type JobDefinition } from './api/job.js';
export { StreamEnvironment } from './api/environment.js';
export type {
  ConnectedKeyedStreams, ConnectedStreams, DataStream, DataStreamSink, IntervalJoin, IntervalJoined, JoinedStreams, JoinEqualTo, JoinWhere,
  JoinWindowed, KeyedStream, OperatorSettings, ProcessOutput, WindowedStream,
} from './api/types.js';
export type { KeyedCoProcessFunction } from '../operators/keyed/co-process.js';
export type { IntervalJoinContext, IntervalJoinFunction } from '../operators/keyed/interval-join.js';
export { session, sliding, tumbling, type TimeWindow, type WindowAssigner } from '../operators/windows/assigners.js';
export type { ProcessWindowFunction, WindowAggregateFunction, WindowInfo, WindowResult } from '../operators/windows/functions.js';
export type { CsvOptionsFor, CsvRow, CsvTypesOf, CsvValue } from './api/csv-row.js';
export { JobControl } from './job/job-control.js';
export type { JobResult, JobStats, RestartRecord, RestoreRecord, SubtaskRestore } from './job/stats.js';
export type { CheckpointEvent, JobEvent } from './job/events.js';
export { JobMonitor, type JobState, type MonitoredJob, type MonitoredRestore, type MonitoredVertex, type RecordedCheckpoint } from './job/monitor.js';
export type { IntervalLatency, LatencyFigures, LatencySummary } from './metrics/latency.js';
export type { TaskMetricsRow } from './metrics/task-metrics.js';
export type { MetricsSettings } from './metrics/settings.js';
export type { ActorStats } from './transport/protocol.js';
export type { ChannelSettings } from './transport/channel.js';
export type { CheckpointOptions } from './checkpoint/config.js';
export type { CheckpointStats, CheckpointStatus, CheckpointSummary, MinAvgMax } from './checkpoint/stats.js';
export type { SubtaskCheckpointStats } from './storage/metadata.js';
export type { RestartOptions, RestartStrategyName } from './recovery/restart.js';
export { ManualClock, systemClock, type Clock } from '../base/clock.js';
export {
  CancelledError, ChannelError, CheckpointError, ConfigError, CorruptCheckpointError, InjectedFailure, InputError,
  RecordEncodingError, RestartsExhaustedError, SnapflowError, UserFunctionError, WorkerExitError,
  type ErrorOrigin, type SerializedError,
} from '../base/errors.js';
export type { BackendKind, CheckpointMode, Guarantee } from '../base/kinds.js';
export type { StateKey } from '../base/keygroups.js';
export type { AggregateFunction } from '../operators/keyed/fold.js';
export type { KeyedContext, KeyedProcessFunction, OnTimerContext, TimerService } from '../operators/keyed/process.js';
export type {
  Collector, ElementTime, OperatorContext, OperatorMessage, Output, RestoreContext, SourceDefinition, SourceReader, SourceSplitState, StreamOperator,
  OperatorTime,
} from '../operators/api.js';
export type { KeyedStateBackend, ListState, MapState, ReducingState, ValueState } from '../backends/state.js';
export type { CsvColumnType, CsvPosition, CsvSourceOptions } from '../operators/sources/csv.js';
export type { GeneratorOptions, Transaction } from '../operators/sources/generator.js';
export type { FileFormat, FileSinkOptions } from '../operators/sinks/file.js';
export type { DiscardOptions } from '../operators/sinks/discard.js';
export type { WatermarkStrategy } from '../operators/time/watermarks.js';
