/**
 * Usage lines of the commands main.ts loads on demand (replay, lifecycle, hygiene): kept here so `--help`
 * can print them without loading the commands and their dependencies.
 */
export const REPLAY_USAGE = `usage: gatekeeper replay EVENT.json --findings FILE [--dry-run] [--input auto|ecr|inspector|trivy|grype]
                        [--policies DIR] [--tags TAG[,TAG…]]... [--image-facts FILE] [--now ISO-8601]
                        [--output text|json]`;

export const LIFECYCLE_USAGE =
  'usage: gatekeeper lifecycle preview --policy FILE --images FILE [--now ISO-8601] [--output json|text]';

export const HYGIENE_USAGE = `usage: gatekeeper hygiene plan --repositories FILE [--baseline FILE] [--scope GLOB]... [--now ISO-8601]
                              [--output text|json]`;
