/** Logging module entry. */

export { LOG_LEVELS, type LogLevel, levelRank, parseLogLevel } from './level.ts';
export {
  createLogger,
  DEFAULT_MAX_LINE_BYTES,
  formatLine,
  type LogContext,
  type LogData,
  type Logger,
  type LoggerOptions,
} from './logger.ts';
export {
  DEFAULT_METRICS_NAMESPACE,
  DIMENSIONS,
  type DimensionName,
  EMF_LIMITS,
  emfDocument,
  METRICS,
  type MetricDefinition,
  type MetricName,
  type MetricSet,
  type MetricUnit,
  namespaceProblem,
} from './metrics.ts';
