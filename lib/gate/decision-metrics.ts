/**
 * What one handled event (or one sweep decision) cost and decided, as metrics (lib/log/metrics.ts): the gate's
 * flows are run on observed ports, so nothing in the decision path itself knows about metrics.
 *
 * - AWS requests: counted by the clients' middleware (lib/aws/request-count.ts) while the work runs.
 * - Alerts sent: messages the notifier port published successfully.
 * - Findings read: findings in the scan results the registry port returned.
 * - Push time: `imagePushedAt` of the images the registry port described (the gate reads it anyway to know an
 *   image's current tags), so push→decision latency costs no extra request.
 */
import { RequestCounter } from '../aws/request-count.ts';
import type { Logger } from '../log/logger.ts';
import type { DimensionName, MetricName, MetricSet } from '../log/metrics.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { Verdict } from '../policy/decision.ts';
import type { Registry } from '../registry/registry.ts';
import type { GateDependencies, GateOutcome } from './context.ts';
import { reservedKind, type TagScheme } from './tags.ts';

type Values = { [name in MetricName]?: number };
type Dimensions = { [name in DimensionName]?: string };

/** How a decision relates to the decision tags the image carried before it. */
export type DecisionChange = 'first' | 'changed' | 'same';

/** Why a handled event counts as an error (the `Kind` dimension of `Errors`). */
export type GateErrorKind = 'invalid-event' | 'retryable' | 'permanent' | 'unexpected' | 'alert-failed';

/**
 * Observes one piece of gate work: run it with {@link DecisionObservation.run}, then read the counts or write
 * them with {@link DecisionObservation.outcomeMetrics}.
 * @example const observation = new DecisionObservation(deps); const outcome = await observation.run((d) => decideImage(d, ref, trigger));
 */
export class DecisionObservation {
  readonly requests = new RequestCounter();
  /** Findings in the scan results read; null when no scan result was read. */
  findingsRead: number | null = null;
  alertsSent = 0;
  private readonly pushedAt = new Map<string, string>();
  /** The dependencies to run the work with: the same ports, observed. */
  readonly deps: GateDependencies;

  constructor(deps: GateDependencies) {
    this.deps = {
      ...deps,
      registry: this.observeRegistry(deps.registry),
      notifier: this.observeNotifier(deps.notifier),
    };
  }

  /** Runs `work` with the observed dependencies, counting its AWS requests. */
  run<T>(work: (deps: GateDependencies) => Promise<T>): Promise<T> {
    return this.requests.run(() => work(this.deps));
  }

  /** `imagePushedAt` of `digest` as the registry reported it during the work, or null. */
  pushedAtOf(digest: string): string | null {
    return this.pushedAt.get(digest) ?? null;
  }

  /**
   * The metric set of a completed piece of work: requests and findings by outcome, alerts, a push awaiting its
   * decision, and for a decision its verdict, change, repository (quarantines only) and push→decision time
   * (first decisions only: a later re-judgement says nothing about how fast the gate follows a push).
   */
  outcomeMetrics(
    outcome: GateOutcome,
    scheme: TagScheme,
    now: Date,
    options: { readonly push?: boolean } = {},
  ): MetricSet {
    const values: Values = { AwsRequests: this.requests.requests };
    const dimensions: Dimensions = { Outcome: outcome.outcome };
    if (this.findingsRead !== null) values.FindingsRead = this.findingsRead;
    if (this.alertsSent > 0) values.AlertsSent = this.alertsSent;
    if (options.push && outcome.outcome === 'pending') values.PushesAwaitingDecision = 1;
    if (outcome.outcome === 'decided' && outcome.verdict !== null) {
      const change = decisionChange(scheme, outcome, outcome.verdict);
      values.Decisions = 1;
      dimensions.Verdict = outcome.verdict;
      dimensions.Change = change;
      if (outcome.verdict === 'quarantined') {
        values.Quarantines = 1;
        dimensions.Repository = outcome.image.repository;
      }
      const pushedAt = Date.parse(this.pushedAtOf(outcome.image.digest) ?? '');
      if (change === 'first' && Number.isFinite(pushedAt)) {
        values.PushToDecision = Math.max(0, now.getTime() - pushedAt);
      }
    }
    return { values, dimensions };
  }

  /** The metric set of failed work: one error of `kind`, and the requests it made. */
  errorMetrics(kind: GateErrorKind): MetricSet {
    const values: Values = { Errors: 1, AwsRequests: this.requests.requests };
    if (this.alertsSent > 0) values.AlertsSent = this.alertsSent;
    return { values, dimensions: { Kind: kind } };
  }

  /** Writes the metrics of `outcome` through `log` (a logger without `metric` writes none). */
  writeOutcome(log: Logger, outcome: GateOutcome, options: { readonly push?: boolean } = {}): void {
    log.metric?.(this.outcomeMetrics(outcome, this.deps.scheme, this.deps.now(), options));
  }

  // A Proxy rather than a class listing the port's methods: every method the port has (or gains) passes through
  // unchanged, and a RegistryAdmin stays one.
  private observeRegistry(registry: Registry): Registry {
    const observation = this;
    return new Proxy(registry, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (property === 'describeImage') {
          return async (...args: Parameters<Registry['describeImage']>) => {
            const summary = await target.describeImage(...args);
            if (summary) observation.pushedAt.set(summary.digest, summary.pushedAt);
            return summary;
          };
        }
        if (property === 'getScanResult') {
          return async (...args: Parameters<Registry['getScanResult']>) => {
            const result = await target.getScanResult(...args);
            if (result) observation.findingsRead = (observation.findingsRead ?? 0) + result.findings.length;
            return result;
          };
        }
        return (value as (...args: unknown[]) => unknown).bind(target);
      },
    });
  }

  private observeNotifier(notifier: Notifier): Notifier {
    return {
      publish: async (message) => {
        const id = await notifier.publish(message);
        this.alertsSent += 1;
        return id;
      },
    };
  }
}

/**
 * `first` when the image carried no decision tag before (spoofed ones aside), `changed` when it carried the other
 * verdict's tags, `same` otherwise (new findings or a new source tag, same verdict).
 */
export function decisionChange(scheme: TagScheme, outcome: GateOutcome, verdict: Verdict): DecisionChange {
  const spoofed = new Set(outcome.plan?.spoofed ?? []);
  const before = new Set(
    outcome.tagsBefore.filter((tag) => !spoofed.has(tag)).map((tag) => reservedKind(scheme, tag)),
  );
  before.delete(null);
  if (before.size === 0) return 'first';
  return before.has(verdict === 'approved' ? 'quarantined' : 'approved') ? 'changed' : 'same';
}
