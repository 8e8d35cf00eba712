/**
 * `gatekeeper lifecycle preview --policy FILE --images FILE [--now ISO-8601] [--output json|text]`
 *
 * Prints what ECR's GetLifecyclePolicyPreview would return for a lifecycle policy document and a
 * DescribeImages response, with ECR's documented semantics (lib/hygiene/lifecycle-engine.ts).
 * Exit codes: 0 preview printed; 2 bad usage or bad input (one line on stderr naming the file and field).
 */
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import {
  type CliIo,
  parseNow,
  parseOptions,
  readJsonFile,
  readTextFile,
  UsageError,
} from '../hygiene/cli-support.ts';
import { formatProblem, LifecyclePolicyInvalidError } from '../hygiene/errors.ts';
import { type LifecyclePreview, previewLifecycle } from '../hygiene/lifecycle-engine.ts';
import { imagesFromDescribeImages } from '../hygiene/lifecycle-images.ts';
import { parseLifecyclePolicyText } from '../hygiene/lifecycle-policy.ts';

const USAGE =
  'usage: gatekeeper lifecycle preview --policy FILE --images FILE [--now ISO-8601] [--output json|text]';

function renderText(preview: LifecyclePreview, now: number): string {
  const lines = [`lifecycle preview at ${new Date(now).toISOString()}`];
  if (preview.previewResults.length === 0) lines.push('no image would be expired or archived');
  for (const r of preview.previewResults) {
    const action = r.action.type === 'TRANSITION' ? 'ARCHIVE' : 'EXPIRE ';
    const tags = r.imageTags.length ? r.imageTags.join(', ') : '<untagged>';
    lines.push(
      `${action}  rule ${String(r.appliedRulePriority).padStart(3)}  ${r.imagePushedAt}  ${r.imageDigest.slice(0, 19)}…  ${tags}`,
    );
  }
  const transitions = preview.summary.transitioningImageTotalCounts?.[0]?.imageTotalCount ?? 0;
  lines.push(
    `${preview.summary.expiringImageTotalCount} image(s) expire${transitions ? `, ${transitions} archived` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `gatekeeper lifecycle …` (args after `lifecycle`).
 * @example await runLifecycle(['preview', '--policy', 'p.json', '--images', 'i.json'], { stdout, stderr, env, cwd })
 */
export async function runLifecycle(args: string[], io: CliIo): Promise<number> {
  try {
    const [sub, ...rest] = args;
    if (sub !== 'preview')
      throw new UsageError(sub ? `unknown subcommand "lifecycle ${sub}"` : 'missing subcommand');
    const { options, positional } = parseOptions(rest, {
      policy: 'single',
      images: 'single',
      now: 'single',
      output: 'single',
    });
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
    const policyFile = options.get('policy')?.[0];
    const imagesFile = options.get('images')?.[0];
    if (!policyFile) throw new UsageError('--policy FILE is required');
    if (!imagesFile) throw new UsageError('--images FILE is required');
    const output = options.get('output')?.[0] ?? 'json';
    if (output !== 'json' && output !== 'text')
      throw new UsageError(`--output must be json or text (got "${output}")`);
    const now = parseNow(options.get('now')?.[0]);
    const text = await readTextFile(io, policyFile);
    // Accept the policy document itself or a GetLifecyclePolicy / preview response carrying lifecyclePolicyText.
    let policyText = text;
    try {
      const json = JSON.parse(text) as { lifecyclePolicyText?: unknown };
      if (json && typeof json === 'object' && typeof json.lifecyclePolicyText === 'string')
        policyText = json.lifecyclePolicyText;
    } catch {
      // parseLifecyclePolicyText reports the JSON error with the file name.
    }
    const policy = parseLifecyclePolicyText(policyText, policyFile);
    const images = imagesFromDescribeImages(await readJsonFile(io, imagesFile), imagesFile);
    const preview = previewLifecycle(policy, images, now);
    io.stdout.write(output === 'json' ? `${JSON.stringify(preview, null, 2)}\n` : renderText(preview, now));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`gatekeeper lifecycle: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof LifecyclePolicyInvalidError) {
      io.stderr.write(`${error.problems.map(formatProblem).join('\n')}\n`);
      return 2;
    }
    if (error instanceof InvalidInputError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
