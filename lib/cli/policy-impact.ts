/**
 * The impact of a policy change on a registry: every image of a snapshot judged by the base and by the head policy
 * set through `judgeImage` (the one function that makes a verdict, strictest over tags), and the images whose
 * verdict would flip, by repository, with the rules responsible. Pure over its inputs; the command
 * (policy-impact-command.ts) loads the sets and the snapshot and renders the result (render/impact.ts).
 */
import type { Decision, PolicyMode, PolicySet, ScanOutcome, Verdict, Violation } from '../policy/index.ts';
import { judgeImage } from '../policy/index.ts';
import type { SnapshotHeader, SnapshotImage } from '../snapshot/index.ts';
import { findingOf } from '../snapshot/index.ts';

/** Violations kept per flip and side in the report (their total is always given). */
export const VIOLATIONS_PER_FLIP = 20;

export interface ImpactSide {
  /** The policy set as given on the command line (`main`, `origin/main:policies`, `./policies`). */
  readonly source: string;
  readonly version: string;
}

export interface ImpactViolation {
  readonly rule: string;
  readonly findingId: string | null;
  readonly severity: string | null;
  readonly package: string | null;
  readonly message: string;
}

export interface ImpactFlip {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly from: Verdict;
  readonly to: Verdict;
  /** The governing policy on each side, with its mode. */
  readonly policy: { readonly base: string; readonly head: string };
  readonly mode: { readonly base: PolicyMode; readonly head: PolicyMode };
  /**
   * The rules responsible, sorted: the rule ids of the violations that differ between the sides; when none differ
   * (a policy switched between audit and enforce), the rule ids of the quarantining side's violations.
   */
  readonly rules: readonly string[];
  /** Violations the head has and the base has not (at most {@link VIOLATIONS_PER_FLIP}), and their total. */
  readonly added: readonly ImpactViolation[];
  readonly addedTotal: number;
  /** Violations the base has and the head has not (at most {@link VIOLATIONS_PER_FLIP}), and their total. */
  readonly removed: readonly ImpactViolation[];
  readonly removedTotal: number;
  /** From the snapshot's in-use data: last pull (ISO-8601) and whether a running container was seen. */
  readonly lastPulledAt: string | null;
  readonly running: boolean | null;
}

export interface RepositoryImpact {
  readonly repository: string;
  /** Images of this repository in the snapshot. */
  readonly images: number;
  readonly toQuarantined: number;
  readonly toApproved: number;
  /** Rule id → number of flipped images it is responsible for, most first. */
  readonly rules: Readonly<Record<string, number>>;
  readonly flips: readonly ImpactFlip[];
}

export interface PolicyImpact {
  readonly format: 'gatekeeper-policy-impact/v1';
  readonly base: ImpactSide;
  readonly head: ImpactSide;
  readonly snapshot: {
    readonly file: string;
    readonly takenAt: string;
    readonly source: string;
    readonly images: number;
  };
  /** The time both sides were judged at (ISO-8601 UTC). */
  readonly now: string;
  readonly summary: {
    readonly images: number;
    readonly repositories: number;
    readonly flipped: number;
    readonly toQuarantined: number;
    readonly toApproved: number;
    /** Same verdict on both sides, different violations (e.g. an audit policy that now records more). */
    readonly violationsChanged: number;
    /** Images without image facts: runsAsRoot, requiredLabels and maxSizeBytes are not checked on either side. */
    readonly withoutFacts: number;
    /** Images whose recorded verdict differs from the base judgement (decided under an older set, or drift). */
    readonly recordedDiffers: number;
  };
  /** Only repositories with a flip, most flips first, then by name. */
  readonly repositories: readonly RepositoryImpact[];
}

function violationKey(v: Violation): string {
  return `${v.rule}\u0000${v.findingId ?? ''}\u0000${v.package ?? ''}\u0000${v.severity ?? ''}`;
}

function difference(a: readonly Violation[], b: readonly Violation[]): Violation[] {
  const inB = new Set(b.map(violationKey));
  return a.filter((v) => !inB.has(violationKey(v)));
}

function brief(v: Violation): ImpactViolation {
  return {
    rule: v.rule,
    findingId: v.findingId,
    severity: v.severity,
    package: v.package,
    message: v.message,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function scanOutcome(image: SnapshotImage): ScanOutcome {
  return 'findings' in image.scan
    ? { kind: 'findings', findings: image.scan.findings.map(findingOf) }
    : { kind: 'no-findings', status: image.scan.status, description: image.scan.description };
}

interface RepositoryTally {
  images: number;
  flips: ImpactFlip[];
}

/**
 * Collects the impact image by image (so a snapshot is streamed, never held whole), then {@link finish}es it.
 * @example
 *   const impact = new ImpactCollector(base, head, now);
 *   for await (const image of reading.images) impact.add(image);
 *   const report = impact.finish({ source: 'main', version: base.version }, …);
 */
export class ImpactCollector {
  readonly #base: PolicySet;
  readonly #head: PolicySet;
  readonly #now: Date;
  readonly #same: boolean;
  readonly #repositories = new Map<string, RepositoryTally>();
  #images = 0;
  #violationsChanged = 0;
  #withoutFacts = 0;
  #recordedDiffers = 0;

  constructor(base: PolicySet, head: PolicySet, now: Date) {
    this.#base = base;
    this.#head = head;
    this.#now = now;
    // The version hashes the whole normalised set: equal versions judge alike, so judge once.
    this.#same = base.version === head.version;
  }

  /** Judges one image with both sets and records a flip or a change of violations. */
  add(image: SnapshotImage): void {
    this.#images += 1;
    let tally = this.#repositories.get(image.repository);
    if (!tally) {
      tally = { images: 0, flips: [] };
      this.#repositories.set(image.repository, tally);
    }
    tally.images += 1;
    if (image.facts === null) this.#withoutFacts += 1;
    const scan = scanOutcome(image);
    // Fix deadlines as the gate applies them: grace only for an image whose recorded decision approved it, and
    // `deadlines.inUse` only for one Inspector saw running. A pull in the snapshot is not counted: it cannot be
    // told apart from the gate's own reads (the gate keeps its counted pulls in the ledger, not the snapshot). The
    // snapshot holds no first-seen dates, so only deadlines with a date of their own (KEV `dateDue`) can grace.
    const previouslyApproved = image.recorded?.verdict === 'approved';
    const inUse = image.inUse?.inUse === true;
    const judge = (policySet: PolicySet): Decision =>
      judgeImage({
        image: { repository: image.repository, tags: image.tags, digest: image.digest },
        policySet,
        now: this.#now,
        scan,
        facts: image.facts,
        factsProblem: null,
        previouslyApproved,
        inUse,
      });
    const base = judge(this.#base);
    if (image.recorded !== null && image.recorded.verdict !== base.verdict) this.#recordedDiffers += 1;
    if (this.#same) return;
    const head = judge(this.#head);
    const added = difference(head.violations, base.violations);
    const removed = difference(base.violations, head.violations);
    if (base.verdict === head.verdict) {
      if (added.length > 0 || removed.length > 0) this.#violationsChanged += 1;
      return;
    }
    const differing = [...added, ...removed];
    const quarantining = head.verdict === 'quarantined' ? head : base;
    const responsible = differing.length > 0 ? differing : quarantining.violations;
    tally.flips.push({
      repository: image.repository,
      digest: image.digest,
      tags: [...image.tags],
      from: base.verdict,
      to: head.verdict,
      policy: { base: base.policy.name, head: head.policy.name },
      mode: { base: base.policy.mode, head: head.policy.mode },
      rules: [...new Set(responsible.map((v) => v.rule))].sort(compareText),
      added: added.slice(0, VIOLATIONS_PER_FLIP).map(brief),
      addedTotal: added.length,
      removed: removed.slice(0, VIOLATIONS_PER_FLIP).map(brief),
      removedTotal: removed.length,
      lastPulledAt: image.inUse?.lastPulledAt ?? null,
      running: image.inUse?.inUse ?? null,
    });
  }

  /** The report, deterministic for the same inputs (repositories and flips in a fixed order). */
  finish(
    base: ImpactSide,
    head: ImpactSide,
    snapshot: { readonly file: string; readonly header: SnapshotHeader },
  ): PolicyImpact {
    const repositories: RepositoryImpact[] = [];
    let toQuarantined = 0;
    let toApproved = 0;
    for (const [repository, tally] of this.#repositories) {
      if (tally.flips.length === 0) continue;
      const flips = [...tally.flips].sort(
        (a, b) =>
          (a.to === b.to ? 0 : a.to === 'quarantined' ? -1 : 1) ||
          compareText(a.tags[0] ?? '', b.tags[0] ?? '') ||
          compareText(a.digest, b.digest),
      );
      const rules = new Map<string, number>();
      for (const flip of flips) for (const rule of flip.rules) rules.set(rule, (rules.get(rule) ?? 0) + 1);
      const quarantined = flips.filter((f) => f.to === 'quarantined').length;
      toQuarantined += quarantined;
      toApproved += flips.length - quarantined;
      repositories.push({
        repository,
        images: tally.images,
        toQuarantined: quarantined,
        toApproved: flips.length - quarantined,
        rules: Object.fromEntries([...rules].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))),
        flips,
      });
    }
    repositories.sort((a, b) => b.flips.length - a.flips.length || compareText(a.repository, b.repository));
    return {
      format: 'gatekeeper-policy-impact/v1',
      base,
      head,
      snapshot: {
        file: snapshot.file,
        takenAt: snapshot.header.takenAt,
        source: snapshot.header.source,
        images: this.#images,
      },
      now: this.#now.toISOString(),
      summary: {
        images: this.#images,
        repositories: this.#repositories.size,
        flipped: toQuarantined + toApproved,
        toQuarantined,
        toApproved,
        violationsChanged: this.#violationsChanged,
        withoutFacts: this.#withoutFacts,
        recordedDiffers: this.#recordedDiffers,
      },
      repositories,
    };
  }
}
