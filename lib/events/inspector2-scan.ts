/**
 * Inspector2 Scan (enhanced scanning) → scan-completed, or ignored for EC2 instances and Lambda functions.
 * `repository-name` may be a repository ARN: its account and Region must be the envelope's, and resources[] must
 * name the same repository.
 */
import { InvalidEventError } from './errors.ts';
import { type Envelope, ignored, imageRef, missingOrWrongType } from './event-fields.ts';
import type { IgnoredEvent, ScanCompletedEvent } from './gatekeeper-event.ts';
import { identityProblem } from './identity.ts';
import { parseRepositoryArn } from './image-ref.ts';
import { quote } from './quote.ts';
import { scanCompleted } from './scan-completed.ts';

export function parseEnhancedScan(envelope: Envelope): ScanCompletedEvent | IgnoredEvent {
  const { id, detail } = envelope;
  if (detail['repository-name'] === undefined && detail['image-digest'] === undefined) {
    // Inspector2 Scan also reports EC2 instances and Lambda functions: not ours.
    return ignored(envelope, 'Inspector2 Scan for a resource that is not an ECR image');
  }
  const repositoryField = detail['repository-name'];
  if (typeof repositoryField !== 'string') {
    throw new InvalidEventError(
      id,
      'detail.repository-name',
      missingOrWrongType(repositoryField, 'a string'),
    );
  }
  let registryId = envelope.account;
  let region = envelope.region;
  let repository = repositoryField;
  if (repositoryField.startsWith('arn:')) {
    const arn = parseRepositoryArn(repositoryField);
    if (!arn) {
      throw new InvalidEventError(
        id,
        'detail.repository-name',
        `must be an ECR repository ARN or name (got ${quote(repositoryField)})`,
      );
    }
    ({ registryId, region, repository } = arn);
    const problem = identityProblem(envelope, registryId, region);
    if (problem) throw new InvalidEventError(id, 'detail.repository-name', problem);
  }
  const image = imageRef(
    envelope,
    registryId,
    region,
    { ...detail, 'repository-name': repository },
    'repository-name',
    'image-digest',
  );
  // The envelope's resources[] names the same repository; a disagreement means the event cannot be trusted.
  for (const [i, resource] of envelope.resources.entries()) {
    const arn = parseRepositoryArn(resource);
    if (
      arn &&
      (arn.repository !== image.repository ||
        arn.registryId !== image.registryId ||
        arn.region !== image.region)
    ) {
      throw new InvalidEventError(
        id,
        `resources[${i}]`,
        `names another repository than detail.repository-name (${quote(resource)})`,
      );
    }
  }
  return scanCompleted(envelope, 'enhanced', image);
}
