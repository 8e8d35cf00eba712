/**
 * The SNS adapter of the {@link Notifier} port: the only code that talks to Amazon SNS. One publish per message,
 * `MessageStructure: 'json'` so each protocol gets its own body, message attributes for subscription filter
 * policies. SDK failures become {@link NotifierUnavailableError} (retry) or {@link NotifierRejectedError} (final).
 */
import {
  type MessageAttributeValue,
  PublishCommand,
  SNSClient,
  type SNSClientConfig,
} from '@aws-sdk/client-sns';
import { type AwsClientDefaults, type AwsClientSettings, createAwsClient } from '../aws/client-settings.ts';
import {
  NETWORK_CODES,
  sdkErrorMessage,
  sdkHttpStatus,
  THROTTLING_CODES,
  TIMEOUT_CODES,
} from '../aws/sdk-error.ts';
import { NotifierRejectedError, NotifierUnavailableError } from './errors.ts';
import { serialiseBodies, wireAttributes } from './message-size.ts';
import type { Notifier, OutboundMessage } from './notifier.ts';

/**
 * The common client settings (attempts default 3, request timeout default 5,000 ms) plus the topic. The
 * endpoint comes from AWS_ENDPOINT_URL_SNS when set.
 */
export interface SnsClientSettings extends AwsClientSettings<NonNullable<SNSClientConfig['credentials']>> {
  /** The topic the client publishes to; its region is used unless `region` is given. */
  readonly topicArn: string;
}

export const SNS_RETRY_DEFAULTS = {
  maxAttempts: 3,
  retryMode: 'standard',
  requestTimeoutMs: 5_000,
  connectionTimeoutMs: 2_000,
} as const satisfies AwsClientDefaults;

/** Region of an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`). */
export function regionOfTopicArn(topicArn: string): string {
  const region = topicArn.split(':')[3];
  if (!region) throw new NotifierRejectedError(`not an SNS topic ARN: ${topicArn}`, 'InvalidTopicArn', null);
  return region;
}

/**
 * Creates the SNS client through the shared factory (lib/aws/client-settings.ts): standard retry mode
 * (exponential backoff with jitter, throttling and 5xx retried), bounded attempts (1 to 20) and timeouts, so a
 * slow SNS cannot eat the Lambda's time.
 * @example createSnsClient({ topicArn: config.topicArn })
 */
export function createSnsClient(settings: SnsClientSettings): SNSClient {
  const { topicArn, ...options } = settings;
  return createAwsClient(
    SNSClient,
    { ...options, region: settings.region ?? regionOfTopicArn(topicArn) },
    SNS_RETRY_DEFAULTS,
  );
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  /** Publishes once and returns the SNS message id. */
  async publish(message: OutboundMessage): Promise<string> {
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const attribute of wireAttributes(message.attributes)) {
      attributes[attribute.name] = { DataType: attribute.dataType, StringValue: attribute.value };
    }
    let output: { MessageId?: string | undefined };
    try {
      output = await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: message.subject,
          MessageStructure: 'json',
          Message: serialiseBodies(message.bodies),
          ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
        }),
      );
    } catch (error) {
      throw translateSnsError(error, message.dedupeKey);
    }
    if (!output.MessageId) {
      // Not retried: the message may well have been published, and a retry would send it twice.
      throw new NotifierRejectedError(
        `SNS accepted ${message.dedupeKey} but returned no MessageId`,
        'NoMessageId',
        null,
      );
    }
    return output.MessageId;
  }
}

// Retryable by nature, on top of the shared throttling and timeout codes (lib/aws/sdk-error.ts): SNS's own
// names as the SDK reports them (awsQuery codes and their exception classes).
const SNS_RETRYABLE = new Set([
  'Throttled',
  'InternalError',
  'InternalErrorException',
  'ServiceUnavailable',
  'KMSThrottling',
  'KMSThrottlingException',
]);

const isRetryable = (name: string) =>
  SNS_RETRYABLE.has(name) || THROTTLING_CODES.has(name) || TIMEOUT_CODES.has(name);

// Final whatever the status: the request or the account's setup must change.
const FINAL = new Set([
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'ValidationException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'InvalidSecurity',
  'InvalidSecurityException',
  'NotFound',
  'NotFoundException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AccessDeniedException',
  'CredentialsProviderError',
]);

/** Maps an SDK error from Publish to the module's errors (exported for table tests). */
export function translateSnsError(
  error: unknown,
  what = 'message',
): NotifierUnavailableError | NotifierRejectedError {
  const e = (error ?? {}) as { name?: unknown; code?: unknown; $fault?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'UnknownError';
  const status = sdkHttpStatus(error);
  const describe = (kind: string) =>
    `SNS publish of ${what} ${kind}: ${name}${status ? ` (HTTP ${status})` : ''}: ${sdkErrorMessage(error)}`;

  if (name.startsWith('KMS') && !isRetryable(name)) {
    return new NotifierRejectedError(describe('refused by KMS'), name, status, { cause: error });
  }
  if (FINAL.has(name)) return new NotifierRejectedError(describe('rejected'), name, status, { cause: error });
  if (isRetryable(name))
    return new NotifierUnavailableError(describe('failed'), name, status, { cause: error });
  if (status !== null) {
    if (status === 429 || status >= 500) {
      return new NotifierUnavailableError(describe('failed'), name, status, { cause: error });
    }
    return new NotifierRejectedError(describe('rejected'), name, status, { cause: error });
  }
  if (e.$fault === 'client')
    return new NotifierRejectedError(describe('rejected'), name, status, { cause: error });
  // No response at all: connection reset, DNS, timeout. SNS may be fine a moment later.
  const code = typeof e.code === 'string' ? e.code : name;
  return new NotifierUnavailableError(
    describe('failed (no response)'),
    NETWORK_CODES.has(code) ? code : 'NetworkError',
    null,
    { cause: error },
  );
}
