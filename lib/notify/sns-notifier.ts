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
import { NotifierRejectedError, NotifierUnavailableError } from './errors.ts';
import { serialiseBodies, wireAttributes } from './message-size.ts';
import type { Notifier, OutboundMessage } from './notifier.ts';

export interface SnsClientSettings {
  /** The topic the client publishes to; its region is used unless `region` is given. */
  readonly topicArn: string;
  readonly region?: string;
  /** Total attempts per publish, first included. Default 3. */
  readonly maxAttempts?: number;
  /** Per-attempt timeout for the whole request; a breach throws a retryable TimeoutError. Default 5,000 ms. */
  readonly requestTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
  /** Extra client settings (tests: credentials). The endpoint comes from AWS_ENDPOINT_URL_SNS when set. */
  readonly clientConfig?: Omit<SNSClientConfig, 'region' | 'maxAttempts' | 'retryMode' | 'requestHandler'>;
}

export const SNS_RETRY_DEFAULTS = {
  maxAttempts: 3,
  requestTimeoutMs: 5_000,
  connectionTimeoutMs: 2_000,
} as const;

/** Region of an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`). */
export function regionOfTopicArn(topicArn: string): string {
  const region = topicArn.split(':')[3];
  if (!region) throw new NotifierRejectedError(`not an SNS topic ARN: ${topicArn}`, 'InvalidTopicArn', null);
  return region;
}

/**
 * Creates the SNS client with explicit retry settings: standard retry mode (exponential backoff with jitter,
 * throttling and 5xx retried), bounded attempts and timeouts, so a slow SNS cannot eat the Lambda's time.
 * @example createSnsClient({ topicArn: config.topicArn })
 */
export function createSnsClient(settings: SnsClientSettings): SNSClient {
  return new SNSClient({
    ...settings.clientConfig,
    region: settings.region ?? regionOfTopicArn(settings.topicArn),
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts ?? SNS_RETRY_DEFAULTS.maxAttempts,
    requestHandler: {
      requestTimeout: settings.requestTimeoutMs ?? SNS_RETRY_DEFAULTS.requestTimeoutMs,
      connectionTimeout: settings.connectionTimeoutMs ?? SNS_RETRY_DEFAULTS.connectionTimeoutMs,
      // Without it the SDK only logs a warning when requestTimeout passes and keeps waiting on a hung socket.
      throwOnRequestTimeout: true,
    },
  });
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

// Retryable by nature. Names as the SDK reports them (awsQuery codes and their exception classes).
const RETRYABLE = new Set([
  'Throttled',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'InternalError',
  'InternalErrorException',
  'ServiceUnavailable',
  'KMSThrottling',
  'KMSThrottlingException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

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

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
]);

/** Maps an SDK error from Publish to the module's errors (exported for table tests). */
export function translateSnsError(
  error: unknown,
  what = 'message',
): NotifierUnavailableError | NotifierRejectedError {
  const e = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const name = typeof e.name === 'string' ? e.name : 'UnknownError';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : null;
  const text = typeof e.message === 'string' ? e.message : String(error);
  const describe = (kind: string) =>
    `SNS publish of ${what} ${kind}: ${name}${status ? ` (HTTP ${status})` : ''}: ${text}`;

  if (name.startsWith('KMS') && !RETRYABLE.has(name)) {
    return new NotifierRejectedError(describe('refused by KMS'), name, status, { cause: error });
  }
  if (FINAL.has(name)) return new NotifierRejectedError(describe('rejected'), name, status, { cause: error });
  if (RETRYABLE.has(name))
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
    {
      cause: error,
    },
  );
}
