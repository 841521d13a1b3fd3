/**
 * Settings from outside the command line: a YAML file (`--config`, Flink's key names or
 * snapflow's flag names, flat or nested), `-D key=value`, and `SNAPFLOW_<FLAG>` environment
 * variables. They fill in flags the command line left out; the command line wins, then `-D`,
 * then the environment, then the file. Flink keys that do not apply to a command are passed
 * over, as one file serves every command; a key snapflow does not know is an error naming it
 * and where it came from.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, errorMessage } from '../base/errors.js';
import { parseNumber } from '../base/validate.js';
import { FLINK_KEYS, mappingOf } from './flink-keys.js';

/** One setting and where it came from, for error messages. */
export interface Setting {
  key: string;
  value: unknown;
  from: string;
}

/** Nested maps become dotted keys (`execution: {checkpointing: {interval: 10s}}` is `execution.checkpointing.interval`). */
function flatten(obj: Record<string, unknown>, prefix: string, out: [string, unknown][]): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out.push([key, v]);
  }
}

/** The settings of a YAML file. */
export function fileSettings(path: string): Setting[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path}: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('config', `${path} must hold a map of settings`);
  const pairs: [string, unknown][] = [];
  flatten(doc as Record<string, unknown>, '', pairs);
  return pairs.map(([key, value]) => ({ key, value, from: `${path}` }));
}

/** The settings of `-D key=value` flags. */
export function dynamicSettings(list: readonly string[]): Setting[] {
  return list.map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError('D', `expected key=value, got "${item}"`);
    return { key: item.slice(0, eq).trim(), value: item.slice(eq + 1).trim(), from: '-D' };
  });
}

/** Environment variables that are not settings. */
const NOT_FLAGS = new Set(['SNAPFLOW_DEBUG', 'SNAPFLOW_CHROMIUM']);

/** The settings of `SNAPFLOW_CHECKPOINT_INTERVAL=10s` style variables: the flag's name in capitals, dashes as underscores. */
export function envSettings(env: NodeJS.ProcessEnv): Setting[] {
  return Object.entries(env)
    .filter(([k, v]) => k.startsWith('SNAPFLOW_') && !NOT_FLAGS.has(k) && v !== undefined)
    .map(([k, v]) => ({ key: k.slice('SNAPFLOW_'.length).toLowerCase().replace(/_/g, '-'), value: v, from: `environment variable ${k}` }));
}

/** What the running command declares, as yargs tells it. */
export interface DeclaredOptions {
  command: string;
  keys: ReadonlySet<string>;
  aliases: Readonly<Record<string, readonly string[]>>;
  numbers: ReadonlySet<string>;
  booleans: ReadonlySet<string>;
  arrays: ReadonlySet<string>;
}

/** The flags given on the command line, by their declared names. */
export function givenFlags(args: readonly string[], declared: DeclaredOptions): Set<string> {
  const byName = new Map<string, string>();
  for (const k of declared.keys) byName.set(k, k);
  for (const [k, list] of Object.entries(declared.aliases)) for (const a of list) byName.set(a, k);
  const given = new Set<string>();
  for (const arg of args) {
    if (arg === '--') break;
    const m = /^--?(?:no-)?([^=]+)/.exec(arg);
    const name = m && (byName.get(m[1]) ?? byName.get(arg.replace(/^--?/, '').split('=')[0]));
    if (name) given.add(name);
  }
  return given;
}

function coerce(flag: string, s: Setting, d: DeclaredOptions): unknown {
  const v = s.value;
  const where = `${s.key} (from ${s.from})`;
  if (d.arrays.has(flag)) return (Array.isArray(v) ? v : [v]).map(String);
  if (d.booleans.has(flag)) {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new ConfigError(where, `must be true or false, got "${String(v)}"`);
  }
  if (d.numbers.has(flag)) return parseNumber(where, v);
  return String(v);
}

/**
 * The flag values the settings give, in order of precedence (later layers win), for the flags the
 * command declares and its command line did not give.
 */
export function resolveSettings(layers: readonly Setting[][], declared: DeclaredOptions, given: ReadonlySet<string>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const layer of layers) {
    for (const s of layer) {
      let mapping;
      try {
        mapping = mappingOf(s.key);
      } catch (err) {
        throw new ConfigError(`${s.key} (from ${s.from})`, errorMessage(err));
      }
      const known = declared.keys.has(mapping.flag);
      if (!known) {
        // A Flink key for another command is shared configuration; anything else is a mistake worth naming.
        if (FLINK_KEYS[s.key] !== undefined || s.from.startsWith('environment')) continue;
        throw new ConfigError(`${s.key} (from ${s.from})`, `not a setting of snapflow ${declared.command}: neither a Flink key snapflow knows nor one of its flags (see docs/configuration.md)`);
      }
      if (given.has(mapping.flag)) continue;
      let value: unknown;
      try {
        value = mapping.value ? mapping.value(s.value, s.key) : s.value;
      } catch (err) {
        throw new ConfigError(`${s.key} (from ${s.from})`, err instanceof ConfigError ? err.message.replace(/^[^:]*: /, '') : errorMessage(err));
      }
      out.set(mapping.flag, coerce(mapping.flag, { ...s, value }, declared));
    }
  }
  return out;
}

/** The parts of yargs' view of the running command that the settings need. */
interface YargsView {
  getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; number: string[]; boolean: string[]; array: string[] };
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** yargs middleware: fills the flags the command line left out from the file, the environment and `-D`. */
export function applySettings(argv: Record<string, unknown>, y: unknown, args: readonly string[], env: NodeJS.ProcessEnv): void {
  const o = (y as YargsView).getOptions();
  const declared: DeclaredOptions = {
    command: String((argv._ as unknown[] | undefined)?.[0] ?? ''), keys: new Set(Object.keys(o.key)), aliases: o.alias,
    numbers: new Set(o.number), booleans: new Set(o.boolean), arrays: new Set(o.array),
  };
  const file = argv.config === undefined ? [] : fileSettings(String(argv.config));
  const dynamic = dynamicSettings((argv.D as string[] | undefined) ?? []);
  const values = resolveSettings([file, envSettings(env), dynamic], declared, givenFlags(args, declared));
  for (const [flag, value] of values) {
    for (const name of [flag, ...(o.alias[flag] ?? [])]) {
      argv[name] = value;
      argv[camel(name)] = value;
    }
  }
}
