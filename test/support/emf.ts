/**
 * The CloudWatch embedded metric format, written down from its specification ("Specification: Embedded metric
 * format", CloudWatch User Guide) as a JSON Schema for what a schema can say, plus the rules it cannot (references
 * from a directive to the root node's target members). `emfProblems(line)` returns every violation of one log line.
 *
 * From the specification:
 * - the log event is one JSON object; `_aws` holds `Timestamp` (milliseconds since the epoch) and
 *   `CloudWatchMetrics`, an array of MetricDirective objects;
 * - a MetricDirective has `Namespace`, `Dimensions` (an array of DimensionSets) and `Metrics` (at most 100
 *   MetricDefinitions); objects defined by the specification carry no other members;
 * - a DimensionSet is an array of at most 30 dimension keys and may be empty; each key names a root member whose
 *   value is a string;
 * - a MetricDefinition has `Name` (a root member holding a number or an array of at most 100 numbers), an optional
 *   `Unit` (a CloudWatch unit) and an optional `StorageResolution` (1 or 60).
 */
import { Ajv } from 'ajv';

const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];

const reference = { type: 'string', minLength: 1, maxLength: 255 };

export const EMF_SCHEMA = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      additionalProperties: false,
      properties: {
        Timestamp: { type: 'integer', minimum: 0 },
        CloudWatchMetrics: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            additionalProperties: false,
            properties: {
              Namespace: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^:]' },
              Dimensions: {
                type: 'array',
                minItems: 1,
                items: { type: 'array', minItems: 0, maxItems: 30, items: reference },
              },
              Metrics: {
                type: 'array',
                minItems: 1,
                maxItems: 100,
                items: {
                  type: 'object',
                  required: ['Name'],
                  additionalProperties: false,
                  properties: {
                    Name: reference,
                    Unit: { enum: UNITS },
                    StorageResolution: { enum: [1, 60] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(EMF_SCHEMA);

/** Every way `line` fails the specification; [] for a valid EMF document. */
export function emfProblems(line: string): string[] {
  let document: unknown;
  try {
    document = JSON.parse(line);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  if (!validate(document)) {
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
  }
  const root = document as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  };
  const problems: string[] = [];
  for (const directive of root._aws.CloudWatchMetrics) {
    for (const key of directive.Dimensions.flat()) {
      if (typeof root[key] !== 'string') problems.push(`dimension ${key}: the root member must be a string`);
    }
    for (const { Name } of directive.Metrics) {
      const value = root[Name];
      const numbers = Array.isArray(value) ? value : [value];
      if (Array.isArray(value) && value.length > 100) problems.push(`metric ${Name}: more than 100 values`);
      if (numbers.length === 0 || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) {
        problems.push(`metric ${Name}: the root member must be a number or an array of numbers`);
      }
    }
  }
  return problems;
}

/** The metric lines among log lines (those carrying `_aws`), parsed. */
export function metricLines(lines: readonly (string | Record<string, unknown>)[]): Record<string, unknown>[] {
  return lines
    .map((line) => (typeof line === 'string' ? (JSON.parse(line) as Record<string, unknown>) : line))
    .filter((line) => typeof line._aws === 'object');
}
