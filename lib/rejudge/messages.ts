/**
 * The re-judgement queue's messages, one definition: `plan` (page through the ledger's `byPolicyVersion` index
 * and enqueue the images of one run) and `image` (judge one decided image again). Parsed before use.
 */
import {
  ACCOUNT_ID_PATTERN,
  type ImageRef,
  isImageDigest,
  isRepositoryName,
  REGION_PATTERN,
} from '../events/image-ref.ts';
import { RejudgeMessageError } from './errors.ts';

export type RejudgeMessage =
  | { readonly kind: 'plan'; readonly run: string }
  | { readonly kind: 'image'; readonly run: string; readonly image: ImageRef };

/** Parses one SQS message body; throws RejudgeMessageError naming the field. */
export function parseRejudgeMessage(body: string): RejudgeMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new RejudgeMessageError('re-judgement message: body is not JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null) throw invalid('body', 'must be an object');
  const message = value as Record<string, unknown>;
  const run = message.run;
  if (typeof run !== 'string' || run.length === 0 || run.length > 200)
    throw invalid('run', 'must be a run id');
  if (message.kind === 'plan') return { kind: 'plan', run };
  if (message.kind !== 'image') throw invalid('kind', 'must be "plan" or "image"');
  const image = message.image as Record<string, unknown> | undefined;
  if (typeof image !== 'object' || image === null) throw invalid('image', 'must be an object');
  const { registryId, region, repository, digest } = image;
  if (typeof registryId !== 'string' || !ACCOUNT_ID_PATTERN.test(registryId)) {
    throw invalid('image.registryId', 'must be a 12-digit account id');
  }
  if (typeof region !== 'string' || !REGION_PATTERN.test(region))
    throw invalid('image.region', 'must be a Region');
  if (!isRepositoryName(repository)) throw invalid('image.repository', 'must be a repository name');
  if (!isImageDigest(digest)) throw invalid('image.digest', 'must be a sha256 digest');
  return { kind: 'image', run, image: { registryId, region, repository, digest } };
}

function invalid(field: string, why: string): RejudgeMessageError {
  return new RejudgeMessageError(`re-judgement message: ${field} ${why}`);
}
