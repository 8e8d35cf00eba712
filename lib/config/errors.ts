/**
 * Errors of the configuration module. A configuration problem can never be fixed by a retry: the function
 * fails at cold start with one line naming the variable, and the deployment has to be corrected.
 */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';

export class ConfigError extends GatekeeperError {
  /** The environment variable at fault, e.g. `GATEKEEPER_TOPIC_ARN`. */
  readonly variable: string;

  constructor(variable: string, problem: string, options?: { cause?: unknown }) {
    super(`${variable}: ${problem}`, options);
    this.variable = variable;
  }
}
