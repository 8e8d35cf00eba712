/**
 * Rules for what people look at: the CloudWatch dashboard and the alarms on the gatekeeper's own metrics. The
 * functions write their metrics as embedded-metric-format log lines whose names, units and dimension sets are
 * defined once in lib/log/metrics.ts; a dashboard or alarm naming anything else would show an empty graph or never
 * fire, and nothing at deploy time would say so. So the dashboard body is parsed (after substituting its `Fn::Sub`
 * variables) and every metric it names is compared with that definition, in the namespace the functions are given.
 */
import { DEFAULT_METRICS_NAMESPACE, DIMENSIONS, METRICS } from '../../lib/log/metrics.ts';
import type { Rule } from './rules.ts';
import {
  asList,
  isObject,
  type Json,
  type JsonObject,
  PSEUDO_PARAMETERS,
  renderString,
  resourcesOfType,
  type Template,
  type Violation,
} from './template.ts';

/** A metric as a dashboard or an alarm names it. */
export interface NamedMetric {
  readonly namespace: string;
  readonly name: string;
  /** Dimension names and values (values may be `${Ref:Id}` / `${GetAtt:Id.Attr}` markers). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Statistic when the entry sets one (`stat` option), else the widget's. */
  readonly stat: string | null;
  /** True for a metric found in a SEARCH expression (dimension names only, any values). */
  readonly search: boolean;
  /** Where it was found, for messages. */
  readonly path: string;
}

/** The namespace the functions write to (GATEKEEPER_METRICS_NAMESPACE); several values are a problem of their own. */
export function functionsNamespaces(template: Template): Set<string> {
  const namespaces = new Set<string>();
  for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const environment = fn.Properties?.Environment;
    const variables = isObject(environment) && isObject(environment.Variables) ? environment.Variables : {};
    const value = variables.GATEKEEPER_METRICS_NAMESPACE;
    namespaces.add(
      typeof value === 'string' && value.trim() !== '' ? value.trim() : DEFAULT_METRICS_NAMESPACE,
    );
  }
  return namespaces;
}

/**
 * The text of a `Fn::Sub` (or plain string) with its variables replaced: bound variables by their value (strings
 * as written, references as `${Ref:Id}` / `${GetAtt:Id.Attr}` markers), `${Id}` and `${Id.Attr}` by markers,
 * pseudo parameters kept, `${!Literal}` unescaped. (Whether `${Id}` names a resource is the specification
 * check's concern.)
 */
export function substituteSub(value: Json | undefined): { text: string } | null {
  let source: string;
  let bound: JsonObject = {};
  if (typeof value === 'string') source = value;
  else if (isObject(value) && typeof value['Fn::Sub'] === 'string') source = value['Fn::Sub'];
  else if (
    isObject(value) &&
    Array.isArray(value['Fn::Sub']) &&
    typeof value['Fn::Sub'][0] === 'string' &&
    isObject(value['Fn::Sub'][1])
  ) {
    source = value['Fn::Sub'][0];
    bound = value['Fn::Sub'][1];
  } else return null;
  const text = source.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const variable = bound[name];
    if (variable !== undefined) return renderString(variable) ?? whole;
    if (PSEUDO_PARAMETERS.has(name)) return whole;
    const [id = '', attribute] = name.split('.', 2);
    return attribute === undefined ? `\${Ref:${id}}` : `\${GetAtt:${id}.${attribute}}`;
  });
  return { text };
}

// SEARCH('{"Namespace",Dim1,Dim2} MetricName="Name"', 'Stat', period): the schema-and-name form the dashboard uses.
const SEARCH =
  /^SEARCH\(\s*'\{("?)([^",}]+)\1((?:,[A-Za-z0-9_.-]+)*)\}\s+MetricName="([^"]+)"\s*'\s*,\s*'([^']+)'/;

/** Every metric a dashboard body names, with the problems of entries that cannot be read. */
export function dashboardMetrics(body: unknown): { metrics: NamedMetric[]; problems: string[] } {
  const metrics: NamedMetric[] = [];
  const problems: string[] = [];
  const widgets = isObject(body as Json) ? asList((body as JsonObject).widgets) : [];
  if (widgets.length === 0) problems.push('the dashboard body has no widgets');
  widgets.forEach((widget, w) => {
    if (!isObject(widget) || !isObject(widget.properties)) {
      problems.push(`widgets.${w}: not a widget with properties`);
      return;
    }
    if (widget.type !== 'metric') return;
    const properties = widget.properties;
    if (typeof properties.region !== 'string')
      problems.push(`widgets.${w}: a metric widget needs its region`);
    const widgetStat = typeof properties.stat === 'string' ? properties.stat : null;
    asList(properties.metrics).forEach((entry, m) => {
      const path = `widgets.${w}.properties.metrics.${m}`;
      if (!Array.isArray(entry) || entry.length === 0) {
        problems.push(`${path}: not a metric entry`);
        return;
      }
      const last = entry[entry.length - 1];
      const options = isObject(last) ? last : null;
      const stat = options && typeof options.stat === 'string' ? options.stat : widgetStat;
      if (options && entry.length === 1) {
        if (typeof options.expression !== 'string') {
          problems.push(`${path}: neither a metric nor an expression`);
          return;
        }
        const match = SEARCH.exec(options.expression);
        if (!match) {
          problems.push(
            `${path}: expression ${JSON.stringify(options.expression)} is not a SEARCH the checks read`,
          );
          return;
        }
        const [, , namespace = '', dims = '', name = '', searchStat = ''] = match;
        const names = dims.split(',').filter((d) => d !== '');
        metrics.push({
          namespace,
          name,
          dimensions: Object.fromEntries(names.map((d) => [d, '*'])),
          stat: searchStat,
          search: true,
          path,
        });
        return;
      }
      const parts = options ? entry.slice(0, -1) : entry;
      if (parts.some((p) => p === '...' || p === '.')) {
        problems.push(`${path}: write entries in full (no "..." shorthand) so each can be checked`);
        return;
      }
      if (parts.some((p) => typeof p !== 'string') || parts.length < 2 || parts.length % 2 !== 0) {
        problems.push(`${path}: expected [namespace, name, (dimension, value)…, options?]`);
        return;
      }
      const [namespace, name, ...pairs] = parts as string[];
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1] as string;
      metrics.push({
        namespace: namespace as string,
        name: name as string,
        dimensions,
        stat,
        search: false,
        path,
      });
    });
  });
  return { metrics, problems };
}

/** Why a metric of our namespace is not one the code writes (name, dimension set, dimension values), or null. */
export function catalogueProblem(metric: Pick<NamedMetric, 'name' | 'dimensions' | 'search'>): string | null {
  const definition = (METRICS as Record<string, { dimensionSets: readonly (readonly string[])[] }>)[
    metric.name
  ];
  if (!definition) return `metric ${metric.name} is not written by the functions (lib/log/metrics.ts)`;
  const keys = Object.keys(metric.dimensions).sort();
  const published = definition.dimensionSets.some(
    (set) => set.length === keys.length && [...set].sort().every((d, i) => d === keys[i]),
  );
  if (!published) {
    const sets = definition.dimensionSets.map((set) => `[${set.join(',')}]`).join(' ');
    return `${metric.name} is published under ${sets}, not [${keys.join(',')}]`;
  }
  if (metric.search) return null;
  for (const [key, value] of Object.entries(metric.dimensions)) {
    const allowed = (DIMENSIONS as Record<string, readonly string[] | null>)[key];
    if (allowed && !allowed.includes(value)) {
      return `${metric.name}: ${key}=${JSON.stringify(value)} is never written (values: ${allowed.join(', ')})`;
    }
  }
  return null;
}

function violation(rule: string, resource: string | null, path: string, message: string): Violation {
  return { rule, resource, path, message };
}

const isAws = (namespace: string) => namespace.startsWith('AWS/');

export const dashboardRule: Rule = {
  id: 'dashboard-metrics',
  description:
    'The dashboard body is valid JSON after Fn::Sub; it names only metrics the functions write (namespace, name, dimensions), and shows every function’s errors and every queue’s depth',
  check(template) {
    const problems: Violation[] = [];
    const namespaces = functionsNamespaces(template);
    const [namespace = DEFAULT_METRICS_NAMESPACE] = namespaces;
    const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
    if (dashboards.length === 0 && namespaces.size > 0) {
      problems.push(violation(this.id, null, 'Resources', 'no dashboard for the gatekeeper’s metrics'));
    }
    for (const [id, dashboard] of dashboards) {
      const path = 'Properties.DashboardBody';
      const substituted = substituteSub(dashboard.Properties?.DashboardBody);
      if (!substituted) {
        problems.push(violation(this.id, id, path, 'DashboardBody is neither a string nor a Fn::Sub'));
        continue;
      }
      let body: unknown;
      try {
        body = JSON.parse(substituted.text);
      } catch (error) {
        problems.push(
          violation(this.id, id, path, `not JSON after substitution: ${(error as Error).message}`),
        );
        continue;
      }
      const { metrics, problems: unreadable } = dashboardMetrics(body);
      for (const message of unreadable) problems.push(violation(this.id, id, path, message));
      for (const metric of metrics) {
        if (isAws(metric.namespace)) continue;
        if (metric.namespace !== namespace) {
          problems.push(
            violation(
              this.id,
              id,
              `${path} ${metric.path}`,
              `namespace ${metric.namespace} is not the functions’ ${namespace}`,
            ),
          );
          continue;
        }
        const problem = catalogueProblem(metric);
        if (problem) problems.push(violation(this.id, id, `${path} ${metric.path}`, problem));
      }
      const shown = (ns: string, name: string, key: string) =>
        new Set(metrics.filter((m) => m.namespace === ns && m.name === name).map((m) => m.dimensions[key]));
      const errors = shown('AWS/Lambda', 'Errors', 'FunctionName');
      for (const [fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        if (!errors.has(`\${Ref:${fn}}`)) {
          problems.push(violation(this.id, id, path, `no AWS/Lambda Errors graph for function ${fn}`));
        }
      }
      const depth = shown('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName');
      for (const [queue] of resourcesOfType(template, 'AWS::SQS::Queue')) {
        if (!depth.has(`\${GetAtt:${queue}.QueueName}`)) {
          problems.push(
            violation(this.id, id, path, `no ApproximateNumberOfMessagesVisible graph for queue ${queue}`),
          );
        }
      }
    }
    if (namespaces.size > 1) {
      problems.push(
        violation(
          this.id,
          null,
          'Resources',
          `functions write to several namespaces: ${[...namespaces].join(', ')}`,
        ),
      );
    }
    return problems;
  },
};

/** Metrics (Id → metric) of an alarm's `Metrics` list, and its expressions. */
function alarmQueries(properties: JsonObject): { stats: Map<string, JsonObject>; expressions: JsonObject[] } {
  const stats = new Map<string, JsonObject>();
  const expressions: JsonObject[] = [];
  for (const query of asList(properties.Metrics)) {
    if (!isObject(query)) continue;
    if (isObject(query.MetricStat) && typeof query.Id === 'string') stats.set(query.Id, query.MetricStat);
    else if (typeof query.Expression === 'string') expressions.push(query);
  }
  return { stats, expressions };
}

const dimensionsOf = (list: Json | undefined): Record<string, string> =>
  Object.fromEntries(
    asList(list)
      .filter(isObject)
      .map((d) => [String(d.Name), renderString(d.Value) ?? '']),
  );

export const alarmsRule: Rule = {
  id: 'metric-alarms',
  description:
    'Alarms on the gatekeeper’s namespace name metrics the functions write; the no-decisions alarm compares pushes with decisions over one window and chooses TreatMissingData',
  check(template) {
    const problems: Violation[] = [];
    const [namespace = DEFAULT_METRICS_NAMESPACE] = functionsNamespaces(template);
    let noDecisions = false;
    for (const [id, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
      const p = alarm.Properties ?? {};
      const { stats, expressions } = alarmQueries(p);
      const named: { path: string; metric: JsonObject }[] = [...stats].map(([queryId, stat]) => ({
        path: `Properties.Metrics.${queryId}`,
        metric: isObject(stat.Metric) ? stat.Metric : {},
      }));
      if (typeof p.MetricName === 'string') {
        named.push({
          path: 'Properties.MetricName',
          metric: { Namespace: p.Namespace ?? '', MetricName: p.MetricName, Dimensions: p.Dimensions ?? [] },
        });
      }
      let ours = false;
      for (const { path, metric } of named) {
        const ns = String(metric.Namespace ?? '');
        if (isAws(ns)) continue;
        ours = true;
        if (ns !== namespace) {
          problems.push(violation(this.id, id, path, `namespace ${ns} is not the functions’ ${namespace}`));
          continue;
        }
        const problem = catalogueProblem({
          name: String(metric.MetricName),
          dimensions: dimensionsOf(metric.Dimensions),
          search: false,
        });
        if (problem) problems.push(violation(this.id, id, path, problem));
      }
      if (!ours) continue;
      if (p.TreatMissingData === undefined) {
        problems.push(
          violation(this.id, id, 'Properties.TreatMissingData', 'choose how missing data counts'),
        );
      }
      if (asList(p.AlarmActions).length === 0) {
        problems.push(violation(this.id, id, 'Properties.AlarmActions', 'an alarm nobody hears'));
      }
      // The no-decisions alarm: pushes and decisions, both summed over the same window of whole hours.
      const byName = (name: string) =>
        [...stats].find(
          ([, s]) => isObject(s.Metric) && s.Metric.MetricName === name && s.Metric.Namespace === namespace,
        );
      const pushes = byName('PushesAwaitingDecision');
      const decisions = byName('Decisions');
      if (!pushes && !decisions) continue;
      noDecisions = true;
      const path = 'Properties.Metrics';
      if (!pushes || !decisions) {
        problems.push(
          violation(
            this.id,
            id,
            path,
            'the no-decisions alarm needs both PushesAwaitingDecision and Decisions',
          ),
        );
        continue;
      }
      for (const [, stat] of [pushes, decisions]) {
        if (stat.Stat !== 'Sum')
          problems.push(violation(this.id, id, path, 'pushes and decisions are counted with Sum'));
      }
      const period = Number(pushes[1].Period);
      const evaluations = Number(p.EvaluationPeriods);
      if (period !== Number(decisions[1].Period) || !Number.isInteger(period / 3600) || period < 3600) {
        problems.push(
          violation(this.id, id, path, 'pushes and decisions need the same period of whole hours'),
        );
      } else if (period * evaluations > 604_800) {
        problems.push(violation(this.id, id, path, 'Period x EvaluationPeriods exceeds CloudWatch’s 7 days'));
      }
      const returned = expressions.filter((e) => e.ReturnData === true);
      const expression = String(returned[0]?.Expression ?? '');
      if (returned.length !== 1 || !expression.includes(pushes[0]) || !expression.includes(decisions[0])) {
        problems.push(
          violation(this.id, id, path, 'one returned expression must combine the pushes and the decisions'),
        );
      }
    }
    if (!noDecisions && resourcesOfType(template, 'AWS::Lambda::Function').length > 0) {
      problems.push(violation(this.id, null, 'Resources', 'no alarm for pushes without decisions'));
    }
    return problems;
  },
};
