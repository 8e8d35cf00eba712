/**
 * What `gatekeeper --help` and `gatekeeper COMMAND --help` print: each command's usage, inputs, examples and exit
 * codes. Kept apart from the commands so help never loads a command and its dependencies.
 */

/** The commands, in the order help lists them. */
export const COMMANDS = ['evaluate', 'policy', 'lifecycle', 'hygiene', 'replay'] as const;
export type CommandName = (typeof COMMANDS)[number];

export const EVALUATE_USAGE = `usage: gatekeeper evaluate --findings FILE [--input auto|ecr|inspector|trivy|grype]
                           [--repository NAME] [--tag TAG]... [--digest sha256:…] [--policies DIR]
                           [--now ISO-8601] [--image-facts FILE] [--output text|json|sarif|markdown]`;

export const POLICY_IMPACT_USAGE = `usage: gatekeeper policy impact --base DIR|REV[:PATH] --head DIR|REV[:PATH] --snapshot FILE
                               [--output text|json|markdown] [--now ISO-8601] [--fail-on-flip]`;

export const POLICY_USAGE = `usage: gatekeeper policy validate [DIR] [--now ISO-8601] [--output text|json]
       gatekeeper policy test [DIR] [--now ISO-8601] [--output text|json]
       gatekeeper policy impact --base DIR|REV[:PATH] --head DIR|REV[:PATH] --snapshot FILE [--output …] [--fail-on-flip]`;

export const LIFECYCLE_USAGE =
  'usage: gatekeeper lifecycle preview --policy FILE --images FILE [--now ISO-8601] [--output json|text]';

export const HYGIENE_USAGE = `usage: gatekeeper hygiene plan --repositories FILE [--baseline FILE] [--scope GLOB]... [--now ISO-8601]
                              [--output text|json]`;

export const REPLAY_USAGE = `usage: gatekeeper replay EVENT.json --findings FILE [--dry-run] [--input auto|ecr|inspector|trivy|grype]
                        [--policies DIR] [--tags TAG[,TAG…]]... [--image-facts FILE] [--now ISO-8601]
                        [--output text|json]`;

const POLICIES_NOTE = `Policies: --policies DIR, else the directory in $GATEKEEPER_POLICIES, else the default policy set that ships
with gatekeeper (so no configuration is needed in any directory).`;

const NOW_NOTE = '--now ISO-8601 judges as of that time (exception expiry, grace deadlines); default: now.';

const EVALUATE_HELP = `${EVALUATE_USAGE}

The verdict the ECR gate would give one image, offline: findings + policies → approved (exit 0) or
quarantined (exit 1).

Options:
  --findings FILE      the scan report (required), one of:
                         ecr        aws ecr describe-image-scan-findings (basic or enhanced; a page or a JSON
                                    array of pages)
                         inspector  aws inspector2 list-findings (findings about container images)
                         trivy      trivy image -f json
                         grype      grype -o json
  --input KIND         which of those the file is; default auto (detected from its shape)
  --repository NAME    the ECR repository the image is in; selects the policy
  --tag TAG            an image tag (repeatable); tag rules and tag-scoped exceptions use them
  --digest sha256:…    the image digest; digest-scoped exceptions use it
  --policies DIR       a policy directory (see Policies below)
  --image-facts FILE   {"sizeBytes", "user", "labels"}, a Docker/OCI config blob, or {"manifest", "config"}
  --now ISO-8601       judge as of that time; default: now
  --output FORMAT      text (default: a table), json (the decision contract), sarif (GitHub code scanning),
                       markdown (a pull-request comment or job summary)

--repository NAME is optional when the findings file names the repository (ECR repositoryName, Inspector
resource repositoryName, Trivy ArtifactName, Grype source.target; a registry host is dropped); the option wins
over the file, and evaluate exits 2 when neither names one. --tag and --digest default to the file the same way.
Without --image-facts the image rules that need facts (runsAsRoot, requiredLabels, maxSizeBytes) are not
checked, and evaluate says which on stderr and in its text, markdown and SARIF output.

${POLICIES_NOTE}

Examples:
  trivy image -f json -o trivy.json "$IMAGE"
  gatekeeper evaluate --findings trivy.json --repository orders/api --tag 1.4.2
  aws ecr describe-image-scan-findings --repository-name orders/api --image-id imageTag=1.4.2 > scan.json
  gatekeeper evaluate --findings scan.json --output json
  gatekeeper evaluate --findings grype.json --repository orders/api --policies ./policies --output sarif > gatekeeper.sarif

Exit codes: 0 approved, 1 quarantined, 2 bad usage or bad input (one line on stderr naming the file and field).`;

const POLICY_HELP = `${POLICY_USAGE}

validate  checks every file of a policy directory: YAML, the published JSON Schemas (policies/schema), and
          the semantic checks a schema cannot say; an expired exception is an error, one that expires within
          14 days a warning. Every problem is printed as FILE: PATH: MESSAGE.
test      runs the policy test cases kept beside the policies (files of kind PolicyTest, e.g. DIR/tests/*.yaml:
          findings + image → expected verdict, violations and waivers) and prints PASS or FAIL for each.
impact    judges every image of a registry snapshot with two policy sets and prints which would change verdict
          ("gatekeeper policy impact --help").

DIR: the directory as given, else $GATEKEEPER_POLICIES, else ./policies when it exists, else the default
policy set that ships with gatekeeper. Files are shown with the path as you typed it.
${NOW_NOTE}
--output json prints the report as one JSON object.

Examples:
  gatekeeper policy validate policies
  gatekeeper policy test ./policies --now 2027-01-01
  GATEKEEPER_POLICIES=security/policies gatekeeper policy test

Exit codes: 0 valid (warnings allowed) / every case passes, 1 a case fails (test), 2 the set has an error or bad
usage (validate lists every problem; other errors are one line on stderr).`;

/** `gatekeeper policy impact --help` (a subcommand with its own options). */
export const POLICY_IMPACT_HELP = `${POLICY_IMPACT_USAGE}

Previews a policy change on the whole registry: every image of a registry snapshot is judged by the base and by
the head policy set (the gate's own decision, strictest over each image's tags), and the images whose verdict
would flip are printed by repository, approved → quarantined and back, with counts and the rules responsible.

Options:
  --base DIR|REV[:PATH]  the policies in force: a directory, or a git revision of the repository in the working
                         directory (its policies/ directory, or PATH in it), exported with git archive
  --head DIR|REV[:PATH]  the proposed policies, the same way (usually ./policies of the pull request)
  --snapshot FILE        a registry snapshot (gatekeeper-registry-snapshot/v1 JSON Lines, gzip or not), written
                         nightly by the sweep to S3 or taken with a read-only role (docs/cli.md)
  --output FORMAT        text (default), json (every flip), markdown (a pull-request comment, lists capped)
  --now ISO-8601         judge both sides as of that time (exception expiry); default: now
  --fail-on-flip         exit 1 when any image would change verdict

A directory wins over a revision of the same name. Revisions need git and tar on the PATH.

Examples:
  gatekeeper policy impact --base origin/main --head policies --snapshot snapshot.jsonl.gz
  gatekeeper policy impact --base main:security/policies --head ./security/policies --snapshot s.jsonl --output markdown > impact.md
  aws s3 cp s3://BUCKET/snapshots/latest.jsonl.gz . && gatekeeper policy impact --base main --head HEAD --snapshot latest.jsonl.gz --output json

Exit codes: 0 the report was printed (flips or not), 1 with --fail-on-flip when an image would change verdict,
2 bad usage or bad input (one line on stderr naming the file, line and field).`;

const LIFECYCLE_HELP = `${LIFECYCLE_USAGE}

Prints what ECR's GetLifecyclePolicyPreview would return, offline and at once: previewResults[] (imageDigest,
imageTags, imagePushedAt, action.type, appliedRulePriority) and a summary, with ECR's documented semantics
(rule priority order, an image matched by a higher-priority rule is never expired by a lower one, tagPrefixList
needs every prefix, tagPatternList wildcards, imageCountMoreThan and sinceImagePushed).

Options:
  --policy FILE    an ECR lifecycle policy document ({"rules": [ … ]}), or a GetLifecyclePolicy response
                   (its lifecyclePolicyText)
  --images FILE    a DescribeImages response ({"imageDetails": [ … ]}), or a JSON array of its pages
  --now ISO-8601   the time the preview is taken at (sinceImagePushed ages); default: now
  --output FORMAT  json (default: the preview response) or text (one line per image)

Examples:
  aws ecr get-lifecycle-policy --repository-name orders/api > policy.json
  aws ecr describe-images --repository-name orders/api > images.json
  gatekeeper lifecycle preview --policy policy.json --images images.json --output text

Exit codes: 0 preview printed, 2 bad usage or bad input (one line on stderr naming the file and field).`;

const HYGIENE_HELP = `${HYGIENE_USAGE}

Plans, offline, what the nightly hygiene sweep would change so every repository meets the hygiene baseline
(lifecycle rules, scan on push, tag immutability): per repository compliant, drift, conflict, refused or
opted out, with the changes it would make. Nothing is changed.

Options:
  --repositories FILE  a dump of your registry (format below; required)
  --baseline FILE      the hygiene baseline; default: hygiene.yaml of $GATEKEEPER_POLICIES, else the shipped one
  --scope GLOB         only repositories matching the glob (repeatable); default: $GATEKEEPER_REPOSITORY_SCOPE
  --now ISO-8601       judge as of that time; default: now
  --output FORMAT      text (default) or json (the whole plan)

The dump is what the AWS CLI returns, put together in one JSON object:
  {
    "repositories": { "repositories": [ … ] },        aws ecr describe-repositories (or a list of its pages)
    "lifecyclePolicies": {                            one entry per repository, required:
      "team/api": { "lifecyclePolicyText": "…" },     aws ecr get-lifecycle-policy, or the policy text itself,
      "team/web": null                                or null when it has none (LifecyclePolicyNotFoundException)
    },
    "registryScanningConfiguration": { … },           optional: aws ecr get-registry-scanning-configuration
    "images": { "team/api": { "imageDetails": [ … ] } }  optional: aws ecr describe-images per repository
  }
Without "images" the check that in-use images are protected is skipped (the plan says so). Without
"registryScanningConfiguration", basic scanning with no registry rules is assumed. A sample ships with the
package: examples/hygiene-dump.json (node_modules/ecr-scan-gatekeeper/examples/ once installed).

Examples:
  gatekeeper hygiene plan --repositories examples/hygiene-dump.json
  gatekeeper hygiene plan --repositories dump.json --scope 'team-a/*' --output json

Exit codes: 0 every repository complies (or opted out), 1 drift, conflicts or refused changes found,
2 bad usage or bad input (one line on stderr naming the file and field). Progress goes to stderr every 100
repositories.`;

const REPLAY_HELP = `${REPLAY_USAGE}

Runs one EventBridge event through the Lambda handler's own path (parse, readiness, fail-closed table, policy,
tag plan, spoof and loop checks, notification) with the findings file standing in for
DescribeImageScanFindings, and prints the plan: the verdict and the actions the handler would take (PutImage
of approved-/quarantined- tags, BatchDeleteImage of tags, UpdateImageStorageClass, StartImageScan, the SNS
message subjects) with the tags before and after. It is always a dry run: nothing is sent to AWS, because in
AWS the gate decides only on findings it reads fresh from ECR. To act on an event again, re-deliver it
(EventBridge archive replay or a DLQ redrive).

Arguments and options:
  EVENT.json          an EventBridge event: ECR Image Action (PUSH), ECR Image Scan, Inspector2 Scan or
                      Inspector2 Finding (samples in events/)
  --findings FILE     the findings for the event's image (required for scan and finding events); formats as
                      for evaluate. A file about another repository or digest than the event's is warned about.
  --input KIND        auto (default), ecr, inspector, trivy or grype, as for evaluate
  --dry-run           states the default; replay never acts
  --tags TAG[,TAG…]   the tags on the digest now (repeatable); default: the event's tags
  --policies DIR      a policy directory (see Policies below)
  --image-facts FILE  as for evaluate
  --now ISO-8601      the time the handler runs at; default: now
  --output FORMAT     text (default) or json

${POLICIES_NOTE}

Examples:
  gatekeeper replay events/ecr-basic-scan-complete.json --findings scan.json --dry-run
  gatekeeper replay event.json --findings scan.json --tags 1.4.2,latest --output json

Exit codes: 0 approved (or no verdict: not ready, ignored), 1 quarantined, 2 bad usage or bad input (one line
on stderr naming the file and field).`;

/** `gatekeeper COMMAND --help`. */
export const COMMAND_HELP: Readonly<Record<CommandName, string>> = {
  evaluate: EVALUATE_HELP,
  policy: POLICY_HELP,
  lifecycle: LIFECYCLE_HELP,
  hygiene: HYGIENE_HELP,
  replay: REPLAY_HELP,
};

/** `gatekeeper --help`. */
export const HELP = `gatekeeper — vet container images against policies as code (the same decision the ECR gate makes)

Commands:
  evaluate            the verdict for one image from a scan report (ECR, Inspector, Trivy or Grype JSON)
  policy validate     check a policy directory: schema and semantic checks, every problem with file and path
  policy test         run the policy test cases kept beside the policies
  policy impact       which images of a registry snapshot would change verdict under a policy change
  lifecycle preview   what ECR's lifecycle policy preview would expire or archive, offline
  hygiene plan        what the hygiene sweep would change in a dump of your repositories
  replay              the Lambda handler's path for one EventBridge event, printing the planned actions

${EVALUATE_USAGE}
${POLICY_USAGE}
${LIFECYCLE_USAGE}
${HYGIENE_USAGE}
${REPLAY_USAGE}
usage: gatekeeper --help | --version | COMMAND --help

"gatekeeper COMMAND --help" prints a command's options, inputs and examples.
Policies: evaluate and replay use --policies DIR, else the directory in $GATEKEEPER_POLICIES, else the default
policy set that ships with gatekeeper (no configuration needed); policy validate and test check DIR, else
$GATEKEEPER_POLICIES, else ./policies when it exists, else the shipped set.

Exit codes: 0 approved / valid / tests pass / no drift; 1 quarantined / tests fail / drift found (hygiene plan) /
an image would flip (policy impact --fail-on-flip);
2 bad usage or bad input (one line on stderr naming the file and field).
`;

export function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}
