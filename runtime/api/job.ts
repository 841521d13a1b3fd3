/** Job modules: how a job is defined, loaded (on any thread) and expanded into a plan. */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { graphOf, StreamEnvironment } from './environment.js';
import { ConfigError, errorMessage } from '../../base/errors.js';
import type { JobConfig, JobGraph } from '../plan/graph.js';
import { buildPlan, type PhysicalPlan } from '../plan/plan.js';

/** A job: a function that builds the dataflow on an environment. Must be deterministic. */
export interface JobDefinition<P = Record<string, unknown>> {
  build(env: StreamEnvironment, params: P): void;
}

/** Declares a job; the module that calls it exports the result as its default export. */
export function defineJob<P = Record<string, unknown>>(build: (env: StreamEnvironment, params: P) => void): JobDefinition<P> {
  return { build };
}

/** Settings given to a job from outside (CLI or execute options). */
export type JobOverrides = Partial<JobConfig>;

/** A built job: its graph (with functions) and its plan (pure data). */
export interface BuiltJob {
  graph: JobGraph;
  plan: PhysicalPlan;
}

/** Turns a module path into an importable URL. */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return /^[a-z]+:/i.test(module) && !/^[a-z]:[\\/]/i.test(module) ? module : pathToFileURL(resolve(module)).href;
}

/** Imports a job module; its default export must be a JobDefinition or a build function. */
export async function loadJob(module: string | URL): Promise<JobDefinition<any>> {
  const url = moduleUrl(module);
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (err) {
    throw new ConfigError('job', `cannot load job module ${url}: ${errorMessage(err)}`);
  }
  const def = mod.default;
  if (typeof def === 'function') return { build: def as JobDefinition['build'] };
  if (def && typeof (def as JobDefinition).build === 'function') return def as JobDefinition<any>;
  throw new ConfigError('job', `job module ${url} must export default defineJob(...) or a build function`);
}

/** Builds the graph and plan of a job with the given overrides. */
export function buildJob<P>(def: JobDefinition<P>, params: P, overrides: JobOverrides = {}): BuiltJob {
  const env = new StreamEnvironment(overrides);
  def.build(env, params);
  const graph = graphOf(env);
  return { graph, plan: buildPlan(graph) };
}

/** A short description of a plan; workers compare it to catch a job that builds differently per thread. */
export function planFingerprint(plan: PhysicalPlan): string {
  const chains = plan.chains.map((c) => `${c.name}x${c.parallelism}`).join('|');
  const edges = plan.edges.map((e) => `${e.from}>${e.to}:${e.partitioning}${e.tag === undefined ? '' : `#${e.tag}`}${e.input ? `@${e.input}` : ''}`).join('|');
  return `${plan.maxParallelism};${chains};${edges}`;
}
