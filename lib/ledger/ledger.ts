/**
 * The decision ledger port: one record per image (`registryId/repository@digest`), written with optimistic
 * concurrency (`version`). The record is what makes a decision's effects happen once across EventBridge and
 * Lambda redeliveries: the decision is recorded (with the tags it intends to write and the notification it
 * owes) before any ECR write, the tags actually written are recorded after, and the notification is claimed,
 * published and marked sent. `DynamoDbLedger` (dynamodb-ledger.ts) is the AWS implementation;
 * `MemoryLedger` (memory-ledger.ts) serves unit tests and the offline CLI.
 */
import type { ImageRef } from '../events/image-ref.ts';
import type { FindingHistory } from '../policy/deadlines.ts';
import type { ImageFacts, PolicyMode, Verdict } from '../policy/decision.ts';
import type { AtRiskAlerts } from './deadline-checks.ts';

/** Where the image stands in the gate. */
export type LedgerState =
  /** Pushed (or seen) but no verdict yet. */
  | 'pending'
  /** A verdict is recorded. */
  | 'decided'
  /** The image was deleted before or while it was being decided. */
  | 'gone';

export interface RecordedViolation {
  readonly rule: string;
  readonly findingId: string | null;
  readonly severity: string | null;
  readonly package: string | null;
  /** The violation's fix deadline (ISO-8601, null: clock not started); present only when a deadline covers it. */
  readonly deadline?: string | null;
}

/** The decision as recorded: enough to audit it and to tell whether a re-evaluation changed anything. */
export interface RecordedDecision {
  readonly verdict: Verdict;
  readonly mode: PolicyMode;
  readonly policyName: string;
  readonly policyFile: string;
  /** sha256 of the canonical policy set. */
  readonly policyVersion: string;
  /** sha256 of the canonical findings list the decision was made on (`sha256:` + hex). */
  readonly findingsDigest: string;
  /** Scan status the decision was made on (COMPLETE, ACTIVE, FAILED …). */
  readonly scanStatus: string;
  readonly reason: string | null;
  readonly summary: Readonly<Record<string, number>>;
  /** Total number of violations; `violations` keeps at most the first 20. */
  readonly violationCount: number;
  readonly violations: readonly RecordedViolation[];
  /** Finding ids waived by exceptions, with the exception that waived them (file + id). */
  readonly waived: readonly {
    readonly findingId: string;
    readonly exception: string;
    readonly expires: string;
  }[];
  /** Earliest `expires` among the waivers used (YYYY-MM-DD), so the sweep can re-evaluate when it passes. */
  readonly earliestWaiverExpiry: string | null;
  /** The source tags the decision covered. */
  readonly sourceTags: readonly string[];
  /** The decision tags this decision wants on the digest. */
  readonly desiredTags: readonly string[];
  /** ISO-8601. */
  readonly decidedAt: string;
  /** What caused it: `scan-completed:<event id>`, `finding-changed:<event id>`, `sweep` … */
  readonly trigger: string;
  /** Decision tags the repository refused (immutable): not retried for this same decision. */
  readonly refusedTags: readonly string[];
  /** Set when the repository refused a decision tag (immutable) or the tag quota was reached. */
  readonly problems: readonly string[];
  /**
   * Present when the image keeps its approval only within fix deadlines (`Decision.atRisk`): the earliest
   * deadline (ISO-8601; null while no clock has started) and how many violations it tolerates.
   */
  readonly atRisk?: { readonly deadline: string | null; readonly violations: number };
}

export type NotificationState =
  /** A message is owed and nobody is publishing it. */
  | 'pending'
  /** An invocation claimed it at `claimedAt` and is publishing. */
  | 'publishing'
  | 'sent';

/**
 * The message announcing one state change. Everything the message shows that is not the decision itself is
 * recorded here when the change is recorded (and completed once the tags are applied), so a retry after a
 * crash renders the very same bytes: same subject, body, attributes and dedupe key.
 */
export interface NotificationRecord {
  /** Stable id of the state change in the ledger: `<image key>#<decision seq>` (messages carry their own `dedupeKey`). */
  readonly dedupeKey: string;
  /** `verdict|reason|clean-or-violations`: a new message is owed only when this differs from the last announced one. */
  readonly stateKey: string;
  readonly state: NotificationState;
  readonly claimedAt: string | null;
  readonly messageId: string | null;
  readonly sentAt: string | null;
  /** The verdict of the state announced before this one (null: nothing announced yet): the message's `change`. */
  readonly previousVerdict?: Verdict | null;
  /** When the change was decided: the time the message shows. */
  readonly at?: string;
  /** Tags on the digest when the change was decided. */
  readonly tagsBefore?: readonly string[];
  /** Tags once the change was applied; null until the tags are in place. */
  readonly tagsAfter?: readonly string[] | null;
  /** Decision tags an immutable repository refused, and other problems, once applied. */
  readonly refusedTags?: readonly string[];
  readonly problems?: readonly string[];
  /** The image was archived by the quarantine option. */
  readonly archived?: boolean;
  /**
   * While a publish is claimed: the message exactly as handed to SNS (deflated JSON, base64), so a publish
   * whose outcome is unknown is completed with the very same bytes. Dropped once the message is sent.
   */
  readonly payload?: string | null;
}

/** The last state a message announced (or may have announced: a claimed publish whose outcome is unknown). */
export interface AnnouncedState {
  readonly stateKey: string;
  readonly verdict: Verdict;
  readonly dedupeKey: string;
}

export interface LedgerRecord {
  readonly key: string;
  readonly image: ImageRef;
  readonly state: LedgerState;
  /** Optimistic-concurrency version, incremented by every write. 0 before the first write. */
  readonly version: number;
  /** First time the gatekeeper saw the image (push, or first event about it). ISO-8601. */
  readonly firstSeenAt: string;
  /** When the image became pending without a verdict; null once decided. */
  readonly pendingSince: string | null;
  /** Incremented by every new decision; effects are tied to it. */
  readonly decisionSeq: number;
  readonly decision: RecordedDecision | null;
  /** decisionSeq whose tag actions completed. Equal to decisionSeq when the tags are in place. */
  readonly appliedSeq: number;
  /** Reserved-prefix tags the gatekeeper wrote and believes are on the digest. */
  readonly ownTags: readonly string[];
  /** Source tags the gatekeeper removed (quarantine option), kept so approval can name them again. */
  readonly removedSourceTags: readonly string[];
  /**
   * True while the image is archived because the gatekeeper archived it (quarantine option). Such an image is
   * left alone until someone restores it; the restore event re-decides it.
   */
  readonly archivedByGatekeeper: boolean;
  /**
   * The decision (`<policy version>|<findings digest>`) the gatekeeper last archived the image for. A restored
   * image that the same decision still quarantines is not archived again (no archive/restore loop); a new
   * decision (another policy version or other findings) that quarantines it archives it once more.
   * Absent on records written before this field existed.
   */
  readonly archivedFor?: string | null;
  /**
   * Set when the image was restored from the archive and awaits a new scan (ISO-8601); cleared by the next
   * decision. Until then a scan status from before the restore (IMAGE_ARCHIVED, SCAN_ELIGIBILITY_EXPIRED)
   * is "not ready", never a verdict, whatever triggers the evaluation (scan event, sweep).
   */
  readonly restoredAt?: string | null;
  readonly notification: NotificationRecord | null;
  /** The last announced state; a message is owed when the current decision's state differs from it. */
  readonly announced?: AnnouncedState | null;
  /**
   * Earlier messages whose publish was attempted with an unknown outcome and whose state a newer decision has
   * since replaced, oldest first. Each is sent again (the same bytes) before the newer message, so subscribers
   * read the changes in order and the newer message's `change` is measured against a state they were shown.
   */
  readonly unconfirmed?: readonly NotificationRecord[];
  /** When findings were last read for this image. ISO-8601. */
  readonly lastEvaluatedAt: string | null;
  /**
   * What the last evaluation saw, one mark per finding (`findingMark`: a short hash of the finding's ARN or id,
   * status and update time); null when unknown or too many to keep. A finding event is skipped only when its
   * finding is among these marks in the same state.
   */
  readonly seenFindings?: readonly string[] | null;
  /**
   * Manifest and config facts of the digest (size, user, labels) as read for image rules: content-addressed, so
   * they never change for a digest and are read from the registry once. Image manifests only; absent when never
   * read (no policy needed them, or the read failed) and on records written before.
   */
  readonly imageFacts?: ImageFacts | null;
  /**
   * Marks (`eventMark`, lib/gate/duplicate.ts) of the latest scan and finding events a recorded decision was made
   * after, newest last, at most 16: a redelivered copy of one of them is answered from this record when nothing
   * is left to do. Absent on records written before.
   */
  readonly handledEvents?: readonly string[] | null;
  /**
   * Fix deadlines: when each finding was first seen on the image and first known fixable, keyed by `findingKey`
   * (lib/gate/finding-history.ts keeps it; bounded to findings a policy's `deadlines` cover, at most 500), and
   * the latest ECR pull counted as use (`lastUsedAt`) when a policy sets `deadlines.inUse`. null when no policy has deadlines or the image has no such finding; absent on records written before.
   */
  readonly findingHistory?: FindingHistory | null;
  /**
   * The escalation alerts sent while the image is at risk (deadline-checks.ts), one series per deadline; null or
   * absent when none was sent. Written by the deadline check with the record's version, so concurrent checks
   * claim each alert once.
   */
  readonly atRiskAlerts?: AtRiskAlerts | null;
  /**
   * Multi-arch graph: the indexes (image indexes, manifest lists) that list this digest. Many-to-many: a child
   * can be listed by several indexes, an index by another index. Events about the digest re-decide the digest
   * itself (when it carries tags or a decision of its own) and every index above it.
   */
  readonly parentDigests: readonly string[];
  /** For an index: its child image digests. */
  readonly childDigests: readonly string[];
  /** Epoch seconds; DynamoDB TTL. Set only on records of deleted images (kept > 30 h redelivery window). */
  readonly expiresAt: number | null;
}

/** A small named value with its own version (the hygiene sweep's checkpoint lives here). */
export interface Checkpoint {
  readonly name: string;
  readonly value: unknown;
  readonly version: number;
  readonly updatedAt: string;
}

export interface Ledger {
  /** Strongly consistent read. null when the image has no record. */
  get(ref: ImageRef): Promise<LedgerRecord | null>;
  /**
   * Strongly consistent reads of many images (the sweep's check of decision tags): the records in the order of
   * `refs`, null where an image has no record. DynamoDB: one BatchGetItem per 100 images.
   */
  getMany(refs: readonly ImageRef[]): Promise<readonly (LedgerRecord | null)[]>;
  /**
   * Writes `record` with `version = expectedVersion + 1` if the stored version is `expectedVersion`
   * (0: no record may exist). Throws `LedgerConflictError` otherwise. Returns the stored record.
   */
  put(record: LedgerRecord, expectedVersion: number): Promise<LedgerRecord>;
  getCheckpoint(name: string): Promise<Checkpoint | null>;
  /** Same optimistic rule as `put`; 0 creates. Throws `LedgerConflictError` on a lost race. */
  putCheckpoint(name: string, value: unknown, expectedVersion: number, now: Date): Promise<Checkpoint>;
  /**
   * Decided images whose earliest waiver expiry (YYYY-MM-DD) is on or before `now`'s date: re-evaluate them.
   * An index query (DynamoDB: `byRecheck`), never a table scan.
   */
  listDecisionsWithExpiredWaivers(now: Date): AsyncIterable<ImageRef>;
  /**
   * Decided images at risk whose next deadline check (`nextDeadlineCheck`: an escalation alert due, or the fix
   * deadline itself) is on or before `now`. An index query (DynamoDB: `byRecheck`), never a table scan.
   */
  listDecisionsPastDeadline(now: Date): AsyncIterable<ImageRef>;
  /**
   * The digest the gatekeeper last wrote decision tag `tag` on in that repository (`ref.digest` is ignored),
   * or null. Lets a spoofed push that moved a decision tag off its digest be undone.
   */
  getTagHolder(ref: ImageRef, tag: string): Promise<string | null>;
  /** Records that the gatekeeper wrote decision tag `tag` on `ref.digest` (last writer wins). */
  putTagHolder(ref: ImageRef, tag: string): Promise<void>;
  /**
   * One page of the images whose latest decision was made under `policyVersion` and that are still `decided`,
   * in key order after `after` (an image key, null: from the start). An index query, never a table scan:
   * what a re-judgement after a policy change pages through. `next` is the key to continue after; null at the
   * end. A page may hold fewer than `limit` images (even none) and still return a key: go on until it is null.
   */
  listDecidedByPolicyVersion(
    policyVersion: string,
    after: string | null,
    limit: number,
  ): Promise<DecidedPage>;
  /**
   * Every policy version some decided image was decided under. Reads the whole `byPolicyVersion` index (a scan
   * of the index, not of the table): run once, when the gatekeeper has recorded no policy version yet.
   */
  listPolicyVersionsInUse(): Promise<string[]>;
}

/** A page of decided images (see `Ledger.listDecidedByPolicyVersion`). */
export interface DecidedPage {
  readonly images: readonly ImageRef[];
  readonly next: string | null;
}

/** Key of a decision tag's holder record: `tag#registryId/repository:tag` (never collides with `…@digest`). */
export function tagHolderKey(ref: ImageRef, tag: string): string {
  return `tag#${ref.registryId}/${ref.repository}:${tag}`;
}

/** A fresh, never-written record for an image first seen at `now`. */
export function newLedgerRecord(key: string, image: ImageRef, now: Date): LedgerRecord {
  return {
    key,
    image: {
      registryId: image.registryId,
      region: image.region,
      repository: image.repository,
      digest: image.digest,
    },
    state: 'pending',
    version: 0,
    firstSeenAt: now.toISOString(),
    pendingSince: now.toISOString(),
    decisionSeq: 0,
    decision: null,
    appliedSeq: 0,
    ownTags: [],
    removedSourceTags: [],
    archivedByGatekeeper: false,
    archivedFor: null,
    restoredAt: null,
    notification: null,
    announced: null,
    unconfirmed: [],
    lastEvaluatedAt: null,
    seenFindings: null,
    findingHistory: null,
    parentDigests: [],
    childDigests: [],
    expiresAt: null,
  };
}

/**
 * Reads a stored record written by any version of the gatekeeper: fields added later get their neutral value
 * (an index link recorded as a single `parentDigest` becomes `parentDigests`).
 */
export function upgradeRecord(
  stored: LedgerRecord & { readonly parentDigest?: string | null },
): LedgerRecord {
  const { parentDigest, ...rest } = stored;
  const parents = Array.isArray(rest.parentDigests) ? rest.parentDigests : [];
  return {
    ...rest,
    parentDigests: parentDigest && !parents.includes(parentDigest) ? [...parents, parentDigest] : parents,
    childDigests: Array.isArray(rest.childDigests) ? rest.childDigests : [],
    announced: rest.announced ?? announcedFromLegacy(rest.notification),
    unconfirmed: Array.isArray(rest.unconfirmed) ? rest.unconfirmed : [],
    seenFindings: rest.seenFindings ?? null,
    findingHistory: rest.findingHistory ?? null,
  };
}

function announcedFromLegacy(notification: NotificationRecord | null): AnnouncedState | null {
  if (notification?.state !== 'sent') return null;
  const verdict = notification.stateKey.split('|')[0];
  return verdict === 'approved' || verdict === 'quarantined'
    ? { stateKey: notification.stateKey, verdict, dedupeKey: notification.dedupeKey }
    : null;
}

/** Deleted images' records are kept 35 days: longer than the 24 h EventBridge + 6 h Lambda redelivery window. */
export const GONE_RECORD_TTL_SECONDS = 35 * 24 * 3600;
