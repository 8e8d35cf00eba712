/**
 * Wiring: builds the adapters (ECR, SNS, DynamoDB, Inspector clients), the policy set and the settings for the
 * Lambda handlers and the hygiene sweep, once per cold start. The only place outside the adapters that creates
 * AWS clients; lib/gate and lib/hygiene receive ports.
 */
export {
  buildGateDependencies,
  type GateDependencyOverrides,
  getGateDependencies,
  loadGatePolicySet,
  resetGateDependencies,
  useGateDependencies,
} from './gate-dependencies.ts';
export {
  buildSweepDependencies,
  getSweepDependencies,
  type SweepDependencyOverrides,
} from './sweep-dependencies.ts';
