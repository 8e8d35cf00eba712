/** AWS SDK failures as the clients raise them, for error-classification tests. */
import { ECRServiceException } from '@aws-sdk/client-ecr';

/** An SDK exception as the awsJson1_1 deserializer builds it from `{"__type": name}` and the HTTP status. */
export function sdkError(name: string, status: number): ECRServiceException {
  return new ECRServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });
}

/** A Node.js socket or DNS failure with its error code (ECONNRESET, ENOTFOUND …). */
export function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}
