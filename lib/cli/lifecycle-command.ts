/**
 * `gatekeeper lifecycle preview --policy FILE --images FILE [--now ISO-8601] [--output json|text]`
 *
 * Prints what ECR's GetLifecyclePolicyPreview would return for a lifecycle policy document and a
 * DescribeImages response, with ECR's documented semantics (lib/hygiene/lifecycle-engine.ts).
 * Exit codes: 0 preview printed; 2 bad usage or bad input (one line on stderr naming the file and field, with
 * the number of further problems).
 */
import {
  imagesFromDescribeImages,
  type LifecyclePreview,
  parseLifecyclePolicyText,
  previewLifecycle,
} from '../hygiene/index.ts';
import { choice, parseArgs, parseNow, single } from './args.ts';
import { EXIT, UsageError, unknownSubcommand } from './errors.ts';
import { readInputJson, readInputText } from './input-file.ts';
import type { CliIo } from './io.ts';

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
  const [sub, ...rest] = args;
  if (sub !== 'preview') throw unknownSubcommand('lifecycle', sub, ['preview']);
  const parsed = parseArgs(rest, { policy: 'single', images: 'single', now: 'single', output: 'single' });
  if (parsed.positional.length > 0) throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
  const policyFile = single(parsed, 'policy');
  const imagesFile = single(parsed, 'images');
  if (!policyFile) throw new UsageError('option "--policy FILE" is required');
  if (!imagesFile) throw new UsageError('option "--images FILE" is required');
  const output = choice(parsed, 'output', ['json', 'text'] as const, 'json');
  const now = parseNow(parsed).getTime();
  const text = await readInputText(io, policyFile);
  // Accept the policy document itself or a GetLifecyclePolicy / preview response carrying lifecyclePolicyText.
  let policyText = text;
  try {
    const json = JSON.parse(text) as { lifecyclePolicyText?: unknown };
    if (json && typeof json === 'object' && typeof json.lifecyclePolicyText === 'string')
      policyText = json.lifecyclePolicyText;
  } catch {
    // parseLifecyclePolicyText reports the JSON error with the file name.
  }
  // A document with several problems is reported by main as its first problem and how many more.
  const policy = parseLifecyclePolicyText(policyText, policyFile);
  const images = imagesFromDescribeImages(await readInputJson(io, imagesFile), imagesFile);
  const preview = previewLifecycle(policy, images, now);
  io.stdout.write(output === 'json' ? `${JSON.stringify(preview, null, 2)}\n` : renderText(preview, now));
  return EXIT.ok;
}
