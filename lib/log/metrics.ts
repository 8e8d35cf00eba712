/**
 * Decision metrics as CloudWatch embedded metric format (EMF) documents, written as ordinary log lines by the
 * logger (logger.ts `metric`). CloudWatch Logs extracts the metrics from the lines of each function's log group:
 * no PutMetricData call, no extra permission, no extra request per decision.
 *
 * Why EMF lines from our own logger and not Powertools Metrics: the functions already ship one structured logger,
 * and an EMF document is one JSON line; a second logging library would add to a bundle that has a size budget
 * and would write a second, differently shaped stream.
 *
 * {@link METRICS} is the one definition of every metric: its unit and the dimension sets it is published under.
 * The writer takes units and dimension sets from it, and the template checks compare the stack's dashboard and
 * alarm with it, so a metric cannot be renamed on one side only.
 *
 * Cardinality is bounded on purpose: every dimension has a closed set of values except `Repository`, which only
 * `Quarantines` carries (one metric per repository that ever had a quarantine, not one per decision).
 */

/** Default CloudWatch namespace (GATEKEEPER_METRICS_NAMESPACE overrides it). */
export const DEFAULT_METRICS_NAMESPACE = 'EcrScanGatekeeper';

/** CloudWatch units used by the catalogue (a subset of MetricDatum's units). */
export type MetricUnit = 'Count' | 'Milliseconds';

/** Dimension names, each with the values the code writes (`null`: open set, see `Repository`). */
export const DIMENSIONS = {
  /** The verdict of a decision. */
  Verdict: ['approved', 'quarantined'],
  /** How a decision relates to the decision tags the image carried before it. */
  Change: ['first', 'changed', 'same'],
  /** What the gate did with an event (GateOutcome kinds). */
  Outcome: ['decided', 'unchanged', 'not-ready', 'gone', 'coalesced', 'pending', 'ignored', 'spoof-removed'],
  /** Why a verdict was judged again. */
  Reason: ['exception-expired'],
  /** What went wrong. */
  Kind: [
    'invalid-event',
    'retryable',
    'permanent',
    'unexpected',
    'alert-failed',
    'sweep-repository',
    'safety-net',
  ],
  /** ECR repository name: only on `Quarantines`. */
  Repository: null,
} as const satisfies Record<string, readonly string[] | null>;

export type DimensionName = keyof typeof DIMENSIONS;

export interface MetricDefinition {
  readonly unit: MetricUnit;
  /** Each set publishes the metric once under those dimensions; `[]` is the total without dimensions. */
  readonly dimensionSets: readonly (readonly DimensionName[])[];
}

/** Every metric the gatekeeper writes (docs/deploy.md says what each one counts or measures). */
export const METRICS = {
  Decisions: {
    unit: 'Count',
    dimensionSets: [[], ['Verdict'], ['Change']],
  },
  Quarantines: {
    unit: 'Count',
    dimensionSets: [['Repository']],
  },
  PushToDecision: {
    unit: 'Milliseconds',
    dimensionSets: [[]],
  },
  PushesAwaitingDecision: {
    unit: 'Count',
    dimensionSets: [[]],
  },
  FindingsRead: {
    unit: 'Count',
    dimensionSets: [[]],
  },
  AwsRequests: {
    unit: 'Count',
    dimensionSets: [[], ['Outcome']],
  },
  AlertsSent: {
    unit: 'Count',
    dimensionSets: [[]],
  },
  Rejudgements: {
    unit: 'Count',
    dimensionSets: [[], ['Reason']],
  },
  Errors: {
    unit: 'Count',
    dimensionSets: [['Kind']],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

/** One group of metric values sharing dimension values (one EMF line). */
export interface MetricSet {
  /** Values by metric name: a number, or up to 100 numbers (EMF values array). */
  readonly values: Partial<Record<MetricName, number | readonly number[]>>;
  /** Values of the dimensions the metrics' dimension sets name. */
  readonly dimensions?: Partial<Record<DimensionName, string>>;
}

/** EMF limits (CloudWatch embedded metric format specification). */
export const EMF_LIMITS = {
  metricsPerDirective: 100,
  dimensionsPerSet: 30,
  valuesPerMetric: 100,
} as const;

// CloudWatch namespace characters as the EMF client libraries accept them; "AWS/" is reserved for AWS.
const NAMESPACE_PATTERN = /^[A-Za-z0-9._#:/-]{1,255}$/;

/** Why `namespace` cannot be a CloudWatch namespace for our metrics, or null when it can. */
export function namespaceProblem(namespace: string): string | null {
  if (!NAMESPACE_PATTERN.test(namespace)) return 'must be 1-255 characters of A-Z a-z 0-9 . _ # : / -';
  if (namespace.startsWith('AWS/')) return 'must not start with "AWS/" (reserved for AWS services)';
  return null;
}

// Dimension values: ASCII without control characters, 1-1024 characters, not only blanks (CloudWatch Dimension).
const DIMENSION_VALUE = /^[\x20-\x7e]{1,1024}$/;

/**
 * Builds the EMF document for one metric set, or null when nothing can be written (no finite value). Metrics are
 * grouped into one directive per distinct dimension-set list; a dimension set whose value is missing or not a
 * valid dimension value is left out (the metric is still written under its other sets); non-finite numbers are
 * dropped. The document's other members (log context) are added by the logger around it.
 *
 * @example emfDocument('EcrScanGatekeeper', Date.now(), { values: { Decisions: 1 }, dimensions: { Verdict: 'approved', Change: 'first' } })
 */
export function emfDocument(
  namespace: string,
  timestampMs: number,
  set: MetricSet,
): Record<string, unknown> | null {
  const directives = new Map<string, { dimensions: string[][]; metrics: { Name: string; Unit: string }[] }>();
  const members: Record<string, unknown> = {};
  const dimensionValues = set.dimensions ?? {};
  for (const [name, raw] of Object.entries(set.values) as [MetricName, number | readonly number[]][]) {
    const definition = METRICS[name] as MetricDefinition | undefined;
    if (!definition || raw === undefined) continue;
    const values = (typeof raw === 'number' ? [raw] : [...raw])
      .filter((v) => Number.isFinite(v))
      .slice(0, EMF_LIMITS.valuesPerMetric);
    if (values.length === 0) continue;
    const sets = definition.dimensionSets
      .filter((dims) =>
        dims.every(
          (d) => DIMENSION_VALUE.test(dimensionValues[d] ?? '') && /\S/.test(dimensionValues[d] ?? ''),
        ),
      )
      .map((dims) => [...dims].slice(0, EMF_LIMITS.dimensionsPerSet));
    if (sets.length === 0) continue;
    const key = JSON.stringify(sets);
    const directive = directives.get(key) ?? { dimensions: sets, metrics: [] };
    directives.set(key, directive);
    if (directive.metrics.length >= EMF_LIMITS.metricsPerDirective) continue;
    directive.metrics.push({ Name: name, Unit: definition.unit });
    members[name] = values.length === 1 ? values[0] : values;
    for (const dims of sets) for (const d of dims) members[d] = dimensionValues[d];
  }
  if (directives.size === 0) return null;
  return {
    _aws: {
      Timestamp: Math.trunc(timestampMs),
      CloudWatchMetrics: [...directives.values()].map((d) => ({
        Namespace: namespace,
        Dimensions: d.dimensions,
        Metrics: d.metrics,
      })),
    },
    ...members,
  };
}
