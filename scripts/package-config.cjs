// Values serverless.yml computes from stage parameters at package time (`${file(./scripts/package-config.cjs):…}`).
// CommonJS because the Serverless Framework loads variable files with require(). Everything here is offline:
// it reads only parameters, never AWS.
'use strict';

const path = require('node:path');

// ECR repository-name characters plus the two glob wildcards (same rule as lib/config/repository-scope.ts).
const SCOPE_GLOB = /^[a-z0-9._/*?-]{1,256}$/;

/**
 * Splits and validates the repository scope (comma-separated globs). A bad scope fails packaging, so a typo
 * can never widen or silently narrow what the functions may touch.
 */
function parseScope(text) {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new Error(
      'param repositoryScope must be a comma-separated list of repository globs, e.g. "*" or "team-a/*,shared"',
    );
  }
  const globs = text
    .split(',')
    .map((glob) => glob.trim())
    .filter((glob) => glob !== '');
  for (const glob of globs) {
    if (!SCOPE_GLOB.test(glob)) {
      throw new Error(
        `param repositoryScope: "${glob}" is not a repository glob (lowercase a-z 0-9 . _ / - and the wildcards * ?)`,
      );
    }
  }
  return [...new Set(globs)].sort();
}

/**
 * IAM resource ARNs of the repositories in scope. IAM matches `*` across `/`, exactly like the runtime scope
 * check, so `team-a/*` covers `team-a/api` and `team-a/sub/api`.
 */
async function repositoryArns({ resolveVariable }) {
  const globs = parseScope(await resolveVariable('param:repositoryScope'));
  return globs.map((glob) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/${glob}`,
  }));
}

/** The scope as the runtime reads it (GATEKEEPER_REPOSITORY_SCOPE): normalised, sorted, comma-separated. */
async function repositoryScope({ resolveVariable }) {
  return parseScope(await resolveVariable('param:repositoryScope')).join(',');
}

/**
 * The repository directory with a trailing slash. Only the `local` stage uses it: `serverless invoke local`
 * sets LAMBDA_TASK_ROOT to /var/task, so bundled files are named by absolute path there.
 */
function serviceDir() {
  return `${path.resolve(__dirname, '..')}/`;
}

/**
 * Period of the no-decisions alarm in seconds, from `param:noDecisionAlarmHours`. One period covers the whole
 * window; CloudWatch allows Period x EvaluationPeriods up to 7 days for periods of an hour or more.
 */
function parseAlarmHours(text) {
  const hours = Number(text);
  if (!Number.isInteger(hours) || hours < 1 || hours > 168) {
    throw new Error(
      `param noDecisionAlarmHours must be a whole number of hours from 1 to 168 (got "${text}")`,
    );
  }
  return hours;
}

async function noDecisionAlarmPeriod({ resolveVariable }) {
  return parseAlarmHours(String(await resolveVariable('param:noDecisionAlarmHours'))) * 3600;
}

module.exports = {
  repositoryArns,
  repositoryScope,
  parseScope,
  serviceDir,
  parseAlarmHours,
  noDecisionAlarmPeriod,
};
