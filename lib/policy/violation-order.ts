/**
 * The order of a decision's violations and waived findings: severity (image rules last), finding id, package,
 * rule, message, in code-unit order (locale-independent). Part of evaluation (evaluate.ts); pure. The violations
 * of the vulnerability rules, which can be tens of thousands, are ordered by a counting sort on (severity, id rank)
 * in {@link FindingViolations}; the few others by {@link sortViolations}.
 */
import { type Finding, SEVERITIES } from '../findings/finding.ts';
import type { CompiledException } from './compiled.ts';
import type { Violation, Waived } from './decision.ts';

/** Code-unit order, locale-independent. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function severityRankOf(v: Violation): number {
  return v.severity === null ? SEVERITIES.length : severityIndex(v.severity);
}

/**
 * Sorts violations by severity (image rules last), finding id, package, rule, message: code-unit order,
 * locale-independent. Used for the violations without a finding (denied packages, image rules), a few; the
 * vulnerability-rule violations, which can be tens of thousands, are sorted by {@link FindingViolations}.
 */
export function sortViolations(violations: Violation[]): Violation[] {
  return violations.sort(
    (a, b) =>
      severityRankOf(a) - severityRankOf(b) ||
      compareText(a.findingId ?? '', b.findingId ?? '') ||
      compareText(a.package ?? '', b.package ?? '') ||
      compareText(a.rule, b.rule) ||
      compareText(a.message, b.message),
  );
}

export function compareWaived(a: Waived, b: Waived): number {
  return (
    compareText(a.findingId, b.findingId) ||
    compareText(a.package ?? '', b.package ?? '') ||
    compareText(a.exception.id, b.exception.id)
  );
}

function vulnerability(rule: string, f: Finding, message: string): Violation {
  // "<id> in <package> <version>: <message>", joined rather than concatenated: one flat string instead of a chain
  // of pieces, so the tens of thousands of violations a big decision can list leave the garbage collector less.
  const parts =
    f.package === null
      ? [f.id, ': ', message]
      : f.version === null
        ? [f.id, ' in ', f.package, ': ', message]
        : [f.id, ' in ', f.package, ' ', f.version, ': ', message];
  const v: Violation = {
    rule,
    findingId: f.id,
    severity: f.severity,
    package: f.package,
    message: parts.join(''),
  };
  return f.kev ? { ...v, kev: { dateAdded: f.kev.dateAdded, dateDue: f.kev.dateDue } } : v;
}

export function severityIndex(severity: string): number {
  switch (severity) {
    case 'CRITICAL':
      return 0;
    case 'HIGH':
      return 1;
    case 'MEDIUM':
      return 2;
    case 'LOW':
      return 3;
    case 'INFORMATIONAL':
      return 4;
    case 'UNDEFINED':
      return 5;
    case 'UNTRIAGED':
      return 6;
    default:
      return -1;
  }
}

/** What one evaluation knows about a vulnerability id, looked up once per finding. */
export interface IdState {
  readonly id: string;
  /** Index of the gravest severity seen for the id (the summary counts each id once, there). */
  gravest: number;
  /** Exceptions that name this id, in set order, or undefined. */
  readonly candidates: readonly CompiledException[] | undefined;
  /** Bit per severity: the id is already counted towards that severity's limit. */
  counted: number;
  /** -1 until a violation names the id; then its rank among the ids that violations name (code-unit order). */
  ordinal: number;
}

/** Order of two violations of the same severity and finding id: package, rule, message. */
function compareSameIdAndSeverity(a: Violation, b: Violation): number {
  return (
    compareText(a.package ?? '', b.package ?? '') ||
    compareText(a.rule, b.rule) ||
    compareText(a.message, b.message)
  );
}

/**
 * The violations of the vulnerability rules, each kept with its id's state, so that sorting ranks only the ids
 * that violations name, once, and compares numbers: a decision over 100,000 findings can list 50,000 violations.
 */
export class FindingViolations {
  readonly #list: Violation[] = [];
  readonly #owners: IdState[] = [];
  readonly #ids: IdState[] = [];
  /** False once a finding has a severity outside SEVERITIES (not a parsed finding): then a plain sort. */
  #ranked = true;

  get length(): number {
    return this.#list.length;
  }

  add(state: IdState, rule: string, f: Finding, message: string): void {
    this.#list.push(vulnerability(rule, f, message));
    this.#owners.push(state);
    if (severityIndex(f.severity) < 0) this.#ranked = false;
    if (state.ordinal < 0) {
      state.ordinal = 0;
      this.#ids.push(state);
    }
  }

  /**
   * Sorted by severity, finding id, package, rule, message (code-unit order), as {@link sortViolations}: the ids
   * ranked by a native string sort, then a counting sort on (severity, id rank); only violations of one id and
   * severity (a handful) are compared as strings.
   */
  sorted(byId: ReadonlyMap<string, IdState>): Violation[] {
    const list = this.#list;
    if (!this.#ranked) return sortViolations([...list]);
    const owners = this.#owners;
    const names = this.#ids.map((state) => state.id).sort();
    names.forEach((name, i) => {
      (byId.get(name) as IdState).ordinal = i;
    });
    const buckets = SEVERITIES.length * names.length;
    const keys = new Int32Array(list.length);
    const starts = new Int32Array(buckets + 1);
    for (let i = 0; i < list.length; i += 1) {
      const key =
        severityIndex((list[i] as Violation).severity as string) * names.length +
        (owners[i] as IdState).ordinal;
      keys[i] = key;
      starts[key + 1] = (starts[key + 1] as number) + 1;
    }
    for (let k = 0; k < buckets; k += 1) starts[k + 1] = (starts[k + 1] as number) + (starts[k] as number);
    const out = new Array<Violation>(list.length);
    const next = starts.slice(0, buckets);
    for (let i = 0; i < list.length; i += 1) {
      const key = keys[i] as number;
      out[next[key] as number] = list[i] as Violation;
      next[key] = (next[key] as number) + 1;
    }
    // Violations of one severity and id (one per package and rule, usually a handful): insertion sort in place;
    // a long run (one id in many packages) is sorted as a slice, so no run costs quadratic time.
    for (let k = 0; k < buckets; k += 1) {
      const from = starts[k] as number;
      const to = starts[k + 1] as number;
      if (to - from > 16) {
        const run = out.slice(from, to).sort(compareSameIdAndSeverity);
        for (let i = 0; i < run.length; i += 1) out[from + i] = run[i] as Violation;
        continue;
      }
      for (let i = from + 1; i < to; i += 1) {
        const v = out[i] as Violation;
        let j = i - 1;
        while (j >= from && compareSameIdAndSeverity(out[j] as Violation, v) > 0) {
          out[j + 1] = out[j] as Violation;
          j -= 1;
        }
        out[j + 1] = v;
      }
    }
    return out;
  }
}

/** What one evaluation knows about a package name: the deny entries for it and the versions already judged. */
