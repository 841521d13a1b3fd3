/** The public API of snapflow. */
export { execute, type ExecuteOptions } from './execute.js';
export { defineJob, type JobDefinition } from './job.js';
export { StreamEnvironment, DataStream, KeyedStream } from './environment.js';
export type { JobResult, JobStats } from './coordinator.js';
export type { ActorStats } from './protocol.js';
export type { ChannelSettings } from './channel.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export * from './errors.js';
export type { KeyedContext, AggregateFunction } from '../operators/keyed.js';
export type { Collector, SourceReader, StreamOperator, OperatorContext } from '../operators/api.js';
export type { ValueState, MapState, ListState, ReducingState, StateKey } from '../backends/state.js';
export type { CsvSourceOptions } from '../operators/sources/csv.js';
export type { GeneratorOptions, Transaction } from '../operators/sources/generator.js';
