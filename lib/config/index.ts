/** Configuration module entry: `loadConfig(env)` and the repository scope matcher. */
export {
  CONFIG_VARIABLES,
  DEFAULTS,
  type GatekeeperConfig,
  type HygieneMode,
  type LoadConfigOptions,
  loadConfig,
  MAX_PREFIX_LENGTH,
} from './config.ts';
export { ConfigError } from './errors.ts';
export { globMatches, isRepositoryInScope } from './repository-scope.ts';
