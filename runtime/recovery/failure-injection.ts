/**
 * Failures injected into a running job (`--inject-failure SPEC`, repeatable; one value may hold
 * several specs separated by commas): parsing, checks against the job's operators, seeded random
 * planning, and which injections are armed in each attempt of a restarting job. No I/O, no timers.
 *
 * Grammar (OPERATOR is an operator's display name, exact, e.g. `KeyedProcess` or `Source: Generator`;
 * SUBTASK is 0-based and defaults to 0):
 *   records=N@OPERATOR[#SUBTASK]          after N ≥ 1 records processed by that subtask
 *   checkpoint=N[@OPERATOR[#SUBTASK]]     during the asynchronous part of checkpoint N ≥ 1 (or of the
 *                                         first later one the subtask takes, if N was aborted before it)
 *   restore[=K][@OPERATOR[#SUBTASK]]      during the K-th restore of the job (K ≥ 1, default 1)
 *   random=K                              K ≥ 1 failures at points drawn from the seed
 * Without a target, checkpoint and restore fail at subtask 0 of the first stateful operator.
 * Any spec may end with `!throw` (the default: a thrown error) or `!exit` (a hard exit of the
 * worker thread); `random=K!any` draws each failure's kind from the seed.
 *
 * Operator names may hold any character, so the separators are read from the edges inward:
 * the kind is the text after the last `!`, the target the text after the first `@`, and the
 * subtask the text after the target's last `#`. A name containing `!` or `#` therefore needs
 * an explicit kind or subtask (`records=5@Alert!#0!throw`). A comma separates specs only when
 * a spec keyword follows it, so names such as `Window(10s, sliding)` survive.
 */
import { ConfigError } from '../../base/errors.js';
import { mulberry32 } from '../../base/random.js';
import type { FailureInjection, FailureKind, InjectionPoint } from '../actor/faults.js';

/** An operator of the job as injections may name it. */
export interface InjectableOperator { name: string; parallelism: number; stateful: boolean }

/** A target as written: operator display name and subtask. */
export interface TargetSpec { operator: string; subtask: number }

/** One spec after the syntax checks, before it is matched against the job's operators. */
export type ParsedSpec =
  | { at: 'records'; count: number; target: TargetSpec; kind: FailureKind; spec: string }
  | { at: 'checkpoint'; checkpointId: number; target?: TargetSpec; kind: FailureKind; spec: string }
  | { at: 'restore'; restore: number; target?: TargetSpec; kind: FailureKind; spec: string }
  | { at: 'random'; failures: number; kind: FailureKind | 'any'; spec: string };

const OPTION = 'inject-failure';
const FORMS = 'records=N@OPERATOR[#SUBTASK], checkpoint=N[@OPERATOR[#SUBTASK]], restore[=K][@OPERATOR[#SUBTASK]] or random=K';
const SPLIT = /,(?=\s*(?:records|checkpoint|restore|random)\b)/;

function fail(spec: string, message: string): never {
  throw new ConfigError(OPTION, `"${spec}": ${message}`);
}

function integer(spec: string, what: string, text: string | undefined, min: number): number {
  const n = text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) fail(spec, `${what} must be an integer ≥ ${min}, got "${text ?? ''}"`);
  return n;
}

function parseTarget(spec: string, text: string): TargetSpec {
  const hash = text.lastIndexOf('#');
  const operator = hash < 0 ? text : text.slice(0, hash);
  if (operator === '') fail(spec, 'missing operator name after "@"; expected @OPERATOR[#SUBTASK]');
  const subtask = hash < 0 ? 0 : integer(spec, 'the subtask after "#"', text.slice(hash + 1), 0);
  return { operator, subtask };
}

function parseOne(spec: string): ParsedSpec {
  const bang = spec.lastIndexOf('!');
  const body = bang < 0 ? spec : spec.slice(0, bang);
  const kindText = bang < 0 ? 'throw' : spec.slice(bang + 1);
  if (kindText !== 'throw' && kindText !== 'exit' && kindText !== 'any') {
    fail(spec, `unknown failure kind "${kindText}"; expected !throw or !exit (random=K also takes !any)`);
  }
  const at = body.indexOf('@');
  const head = at < 0 ? body : body.slice(0, at);
  const target = at < 0 ? undefined : parseTarget(spec, body.slice(at + 1));
  const m = /^(records|checkpoint|restore|random)(?:=(.*))?$/.exec(head);
  if (!m) fail(spec, `unknown injection point; expected ${FORMS}`);
  const [, point, value] = m;
  if (kindText === 'any' && point !== 'random') fail(spec, '!any is for random=K only; expected !throw or !exit');
  const kind = kindText as FailureKind;
  switch (point) {
    case 'records':
      if (!target) fail(spec, 'records needs a target; expected records=N@OPERATOR[#SUBTASK]');
      return { at: 'records', count: integer(spec, 'the record count', value, 1), target, kind, spec };
    case 'checkpoint':
      return { at: 'checkpoint', checkpointId: integer(spec, 'the checkpoint id', value, 1), target, kind, spec };
    case 'restore':
      return { at: 'restore', restore: value === undefined ? 1 : integer(spec, 'the restore number', value, 1), target, kind, spec };
    default:
      if (target) fail(spec, 'random=K takes no target; its failures hit random subtasks');
      return { at: 'random', failures: integer(spec, 'the number of failures', value, 1), kind: kindText, spec };
  }
}

/** Checks the syntax of `--inject-failure` values; operator names are checked by resolveInjections. */
export function parseInjections(values: string[]): ParsedSpec[] {
  const specs: ParsedSpec[] = [];
  for (const value of values) {
    for (const piece of value.split(SPLIT)) {
      const spec = piece.trim();
      if (spec === '') fail(value, `empty spec; expected ${FORMS}, separated by commas`);
      specs.push(parseOne(spec));
    }
  }
  return specs;
}

function formatPoint(p: InjectionPoint, kind: FailureKind): string {
  const where = `@${p.operator}#${p.subtask}!${kind}`;
  switch (p.at) {
    case 'records': return `records=${p.count}${where}`;
    case 'checkpoint': return `checkpoint=${p.checkpointId}${where}`;
    case 'restore': return `restore=${p.restore}${where}`;
  }
}

/** Checks specs against the job's operators, fills default targets, expands `random=K` from the seed (counts in [1, horizon]). */
export function resolveInjections(
  specs: ParsedSpec[], operators: InjectableOperator[], random: { seed: number; horizon: number },
): FailureInjection[] {
  const known = operators.map((o) => `"${o.name}"`).join(', ') || '(none)';
  const target = (spec: ParsedSpec, t: TargetSpec | undefined): TargetSpec => {
    if (!t) {
      const stateful = operators.find((o) => o.stateful);
      if (!stateful) fail(spec.spec, 'no target given and the job has no stateful operator; name one with @OPERATOR[#SUBTASK]');
      return { operator: stateful.name, subtask: 0 };
    }
    const op = operators.find((o) => o.name === t.operator);
    if (!op) fail(spec.spec, `unknown operator "${t.operator}"; known operators: ${known}`);
    if (t.subtask >= op.parallelism) {
      fail(spec.spec, `subtask ${t.subtask} does not exist; operator "${op.name}" has parallelism ${op.parallelism} (subtasks 0 to ${op.parallelism - 1})`);
    }
    return t;
  };
  // One stream for all random specs, so adding an explicit spec does not move the random points.
  const next = mulberry32(random.seed);
  const subtasks = operators.flatMap((o) => Array.from({ length: Math.max(0, o.parallelism) }, (_, subtask) => ({ operator: o.name, subtask })));
  const out: FailureInjection[] = [];
  const add = (point: InjectionPoint, kind: FailureKind, spec: string, isRandom = false) =>
    out.push({ id: out.length + 1, point, kind, spec, ...(isRandom ? { random: true } : {}) });
  for (const s of specs) {
    switch (s.at) {
      case 'records': add({ at: 'records', count: s.count, ...target(s, s.target) }, s.kind, s.spec); break;
      case 'checkpoint': add({ at: 'checkpoint', checkpointId: s.checkpointId, ...target(s, s.target) }, s.kind, s.spec); break;
      case 'restore': add({ at: 'restore', restore: s.restore, ...target(s, s.target) }, s.kind, s.spec); break;
      case 'random': {
        if (subtasks.length === 0) fail(s.spec, 'the job has no operator subtasks to fail');
        if (!Number.isSafeInteger(random.horizon) || random.horizon < 1) {
          fail(s.spec, `the random horizon must be an integer ≥ 1, got ${random.horizon}`);
        }
        for (let i = 0; i < s.failures; i++) {
          // Three draws per failure whatever the kind, so !throw, !exit and !any pick the same points.
          const where = subtasks[Math.floor(next() * subtasks.length)]!;
          const count = 1 + Math.floor(next() * random.horizon);
          const drawn: FailureKind = next() < 0.5 ? 'throw' : 'exit';
          const kind = s.kind === 'any' ? drawn : s.kind;
          const point: InjectionPoint = { at: 'records', count, ...where };
          add(point, kind, formatPoint(point, kind), true);
        }
        break;
      }
    }
  }
  return out;
}

/** Which injections are armed in each attempt; marks the ones that fired. */
export class InjectionSchedule {
  private readonly injections: FailureInjection[];
  /** Fired id → the attempt it fired in (the latest attempt armed() was asked about). */
  private readonly firedIn = new Map<number, number>();
  private readonly order: number[] = [];
  private attempt = 0;

  constructor(injections: FailureInjection[]) {
    this.injections = [...injections].sort((a, b) => a.id - b.id);
  }

  /** Injections armed for attempt `attempt` (0 = the first run, 1 = after the first restart, …). */
  armed(attempt: number): FailureInjection[] {
    if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be an integer ≥ 0, got ${attempt}`);
    this.attempt = Math.max(this.attempt, attempt);
    const out: FailureInjection[] = [];
    let randomSeen = false;
    for (const inj of this.injections) {
      if (inj.random) {
        if (randomSeen) continue;
        const firedAt = this.firedIn.get(inj.id);
        if (firedAt === undefined) {
          out.push(inj);
          randomSeen = true;
        } else if (firedAt >= attempt) {
          // The previous random failure ended this attempt; the next one waits for a later attempt.
          randomSeen = true;
        }
        continue;
      }
      if (this.firedIn.has(inj.id)) continue;
      if (inj.point.at === 'restore' && attempt < inj.point.restore) continue;
      out.push(inj);
    }
    return out;
  }

  /** Marks an injection as fired; it is never armed again. Repeated reports are ignored. */
  fired(id: number): void {
    if (!this.injections.some((i) => i.id === id)) throw new RangeError(`no failure injection with id ${id}`);
    if (this.firedIn.has(id)) return;
    this.firedIn.set(id, this.attempt);
    this.order.push(id);
  }

  /** Injections that fired, in order. */
  get firedIds(): number[] {
    return [...this.order];
  }

  /** How many injections have not fired yet. */
  remaining(): number {
    return this.injections.length - this.firedIn.size;
  }
}
