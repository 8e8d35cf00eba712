/**
 * Metric lines: every document the writer can produce is valid embedded metric format (checked against a schema
 * written from the specification, test/support/emf.ts), carries the catalogue's units and dimension sets, and
 * drops what CloudWatch would reject instead of writing an invalid line. The logger writes them at every level
 * but `silent`, with its context around them.
 */
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  DIMENSIONS,
  type DimensionName,
  emfDocument,
  METRICS,
  type MetricName,
  type MetricSet,
  namespaceProblem,
} from '../../../lib/log/index.ts';
import { EMF_SCHEMA, emfProblems, metricLines } from '../../support/emf.ts';

const T = Date.parse('2026-11-23T12:00:00Z');

/** A value for every dimension, the first the code may write. */
const ALL_DIMENSIONS = Object.fromEntries(
  Object.entries(DIMENSIONS).map(([name, values]) => [name, values ? values[0] : 'team-a/api']),
) as Record<DimensionName, string>;

const line = (set: MetricSet, namespace = 'EcrScanGatekeeper') =>
  JSON.stringify(emfDocument(namespace, T, set));

type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };
const directives = (document: Record<string, unknown> | null): Directive[] =>
  (document?._aws as { CloudWatchMetrics: Directive[] } | undefined)?.CloudWatchMetrics ?? [];

describe('the EMF schema of the tests', () => {
  it('accepts the specification’s own example and rejects its violations', () => {
    // The example document of the specification.
    const example = {
      _aws: {
        Timestamp: 1574109732004,
        CloudWatchMetrics: [
          {
            Namespace: 'lambda-function-metrics',
            Dimensions: [['functionVersion']],
            Metrics: [{ Name: 'time', Unit: 'Milliseconds' }],
          },
        ],
      },
      functionVersion: '$LATEST',
      time: 100,
      requestId: '989ffbf8-9ace-4817-a57c-e4dd734019ee',
    };
    expect(emfProblems(JSON.stringify(example))).toEqual([]);
    expect(EMF_SCHEMA.required).toEqual(['_aws']);

    const broken: [string, (d: typeof example & Record<string, unknown>) => void][] = [
      ['no timestamp', (d) => delete (d._aws as Partial<typeof d._aws>).Timestamp],
      ['a string timestamp', (d) => Object.assign(d._aws, { Timestamp: '2026-11-23' })],
      [
        'an unknown unit',
        (d) => Object.assign(d._aws.CloudWatchMetrics[0]?.Metrics[0] ?? {}, { Unit: 'ms' }),
      ],
      [
        'no dimension set at all',
        (d) => Object.assign(d._aws.CloudWatchMetrics[0] ?? {}, { Dimensions: [] }),
      ],
      [
        '31 dimension keys',
        (d) => {
          const keys = Array.from({ length: 31 }, (_, i) => `d${i}`);
          for (const key of keys) d[key] = 'x';
          Object.assign(d._aws.CloudWatchMetrics[0] ?? {}, { Dimensions: [keys] });
        },
      ],
      [
        '101 metrics in a directive',
        (d) => {
          const metrics = Array.from({ length: 101 }, (_, i) => ({ Name: `m${i}` }));
          for (const m of metrics) d[m.Name] = 1;
          Object.assign(d._aws.CloudWatchMetrics[0] ?? {}, { Metrics: metrics });
        },
      ],
      ['a dimension that is no root member', (d) => delete (d as Record<string, unknown>).functionVersion],
      ['a number as dimension value', (d) => Object.assign(d, { functionVersion: 3 })],
      ['a string as metric value', (d) => Object.assign(d, { time: '100' })],
      ['101 values', (d) => Object.assign(d, { time: Array.from({ length: 101 }, () => 1) })],
      ['an extra directive member', (d) => Object.assign(d._aws.CloudWatchMetrics[0] ?? {}, { Extra: 1 })],
    ];
    for (const [name, breakIt] of broken) {
      const document = structuredClone(example) as typeof example & Record<string, unknown>;
      breakIt(document);
      expect(emfProblems(JSON.stringify(document)), name).not.toEqual([]);
    }
  });
});

describe('emfDocument', () => {
  it('writes every catalogue metric at once as one valid document, with its unit and dimension sets', () => {
    // Prepare
    const values = Object.fromEntries(Object.keys(METRICS).map((name, i) => [name, i + 1]));

    // Act
    const document = emfDocument('EcrScanGatekeeper', T, { values, dimensions: ALL_DIMENSIONS });

    // Assess
    expect(emfProblems(JSON.stringify(document))).toEqual([]);
    expect(document?._aws).toMatchObject({ Timestamp: T });
    const written = directives(document).flatMap((d) =>
      d.Metrics.map((m) => ({ name: m.Name, unit: m.Unit, sets: d.Dimensions, namespace: d.Namespace })),
    );
    expect(written.map((w) => w.name).sort()).toEqual(Object.keys(METRICS).sort());
    for (const w of written) {
      const definition = METRICS[w.name as MetricName];
      expect(w.unit, w.name).toBe(definition.unit);
      expect(w.sets, w.name).toEqual(definition.dimensionSets);
      expect(w.namespace).toBe('EcrScanGatekeeper');
      expect(document?.[w.name], w.name).toBe(values[w.name]);
    }
  });

  it('groups metrics sharing dimension sets into one directive', () => {
    const document = emfDocument('Ns', T, {
      values: { Decisions: 1, Quarantines: 1, PushToDecision: 1234, FindingsRead: 7, AlertsSent: 1 },
      dimensions: { Verdict: 'quarantined', Change: 'first', Repository: 'team-a/api' },
    });

    expect(emfProblems(JSON.stringify(document))).toEqual([]);
    expect(directives(document)).toEqual([
      {
        Namespace: 'Ns',
        Dimensions: [[], ['Verdict'], ['Change']],
        Metrics: [{ Name: 'Decisions', Unit: 'Count' }],
      },
      { Namespace: 'Ns', Dimensions: [['Repository']], Metrics: [{ Name: 'Quarantines', Unit: 'Count' }] },
      {
        Namespace: 'Ns',
        Dimensions: [[]],
        Metrics: [
          { Name: 'PushToDecision', Unit: 'Milliseconds' },
          { Name: 'FindingsRead', Unit: 'Count' },
          { Name: 'AlertsSent', Unit: 'Count' },
        ],
      },
    ]);
    expect(document).toMatchObject({ Verdict: 'quarantined', Change: 'first', Repository: 'team-a/api' });
  });

  it('leaves out a dimension set whose value is missing or invalid, and the metric when none is left', () => {
    const cases: [string, MetricSet, Record<string, string[][] | undefined>][] = [
      [
        'no Change',
        { values: { Decisions: 1 }, dimensions: { Verdict: 'approved' } },
        { Decisions: [[], ['Verdict']] },
      ],
      ['a blank Kind', { values: { Errors: 1 }, dimensions: { Kind: '  ' } }, { Errors: undefined }],
      [
        'a non-ASCII repository',
        { values: { Quarantines: 1 }, dimensions: { Repository: 'é' } },
        { Quarantines: undefined },
      ],
      ['a control character', { values: { Errors: 1 }, dimensions: { Kind: 'a\nb' } }, { Errors: undefined }],
      [
        '1025 characters',
        { values: { Quarantines: 1 }, dimensions: { Repository: 'a'.repeat(1025) } },
        { Quarantines: undefined },
      ],
    ];
    for (const [name, set, expected] of cases) {
      const document = emfDocument('Ns', T, set);
      for (const [metric, sets] of Object.entries(expected)) {
        const found = document
          ? directives(document).find((d) => d.Metrics.some((m) => m.Name === metric))
          : undefined;
        expect(found?.Dimensions, name).toEqual(sets);
      }
      if (document) expect(emfProblems(JSON.stringify(document)), name).toEqual([]);
    }
  });

  it('drops non-finite values, keeps values arrays up to 100, and writes nothing when nothing is left', () => {
    expect(
      emfDocument('Ns', T, { values: { AlertsSent: Number.NaN, FindingsRead: Number.POSITIVE_INFINITY } }),
    ).toBeNull();
    expect(emfDocument('Ns', T, { values: {} })).toBeNull();

    const many = Array.from({ length: 150 }, (_, i) => i);
    const document = emfDocument('Ns', T, {
      values: { PushToDecision: many, AlertsSent: [1, Number.NaN, 2] },
    });

    expect(emfProblems(JSON.stringify(document))).toEqual([]);
    expect(document?.PushToDecision).toEqual(many.slice(0, 100));
    expect(document?.AlertsSent).toEqual([1, 2]);
  });

  it('validates for every combination of closed dimension values', () => {
    for (const verdict of DIMENSIONS.Verdict)
      for (const change of DIMENSIONS.Change)
        for (const outcome of DIMENSIONS.Outcome) {
          const text = line({
            values: { Decisions: 1, AwsRequests: 9 },
            dimensions: { Verdict: verdict, Change: change, Outcome: outcome },
          });
          expect(emfProblems(text), text).toEqual([]);
        }
  });
});

describe('namespaceProblem', () => {
  it.each([
    ['EcrScanGatekeeper', null],
    ['Team/Gatekeeper#prod:eu', null],
    ['', /1-255/],
    ['a'.repeat(256), /1-255/],
    ['with blank', /1-255/],
    ['AWS/ECR', /reserved/],
  ])('%s', (namespace, expected) => {
    const problem = namespaceProblem(namespace);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('logger.metric', () => {
  it('writes one valid EMF line with the logger’s context, even when LOG_LEVEL hides info lines', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({
      level: 'error',
      sink: (text) => lines.push(text),
      now: () => new Date(T),
      metricsNamespace: 'Team/Gatekeeper',
      context: { function: 'basic-scan-completed' },
    }).child({ eventId: 'evt-1', Verdict: 'spoofed-by-context' });

    // Act
    logger.info('hidden');
    logger.metric?.({ values: { Decisions: 1 }, dimensions: { Verdict: 'approved', Change: 'first' } });

    // Assess
    expect(lines).toHaveLength(1);
    expect(emfProblems(lines[0] ?? '')).toEqual([]);
    const [document] = metricLines(lines);
    expect(document).toMatchObject({
      message: 'metrics',
      function: 'basic-scan-completed',
      eventId: 'evt-1',
      timestamp: '2026-11-23T12:00:00.000Z',
      Verdict: 'approved',
      Decisions: 1,
      _aws: { Timestamp: T, CloudWatchMetrics: [{ Namespace: 'Team/Gatekeeper' }] },
    });
  });

  it('writes nothing when silent, and the default namespace otherwise', () => {
    const lines: string[] = [];
    createLogger({ level: 'silent', sink: (text) => lines.push(text) }).metric?.({
      values: { AlertsSent: 1 },
    });
    expect(lines).toEqual([]);

    createLogger({ level: 'info', sink: (text) => lines.push(text) }).metric?.({ values: { AlertsSent: 1 } });
    expect(metricLines(lines)[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'EcrScanGatekeeper' }] },
    });
  });

  it('keeps a values array whole where ordinary log data would be cut to 20 items', () => {
    const lines: string[] = [];
    const values = Array.from({ length: 60 }, (_, i) => i * 10);
    createLogger({ sink: (text) => lines.push(text) }).metric?.({ values: { PushToDecision: values } });

    expect(emfProblems(lines[0] ?? '')).toEqual([]);
    expect(metricLines(lines)[0]?.PushToDecision).toEqual(values);
  });
});
