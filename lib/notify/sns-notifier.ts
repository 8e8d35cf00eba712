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
  classifySdkError,
  inspectSdkError,
  NETWORK_CODES,
  type ServiceErrorCodes,
  sdkErrorMessage,
  sdkHttpStatus,
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

// SNS's own codes on top of the shared lists of lib/aws/sdk-error.ts, as the SDK reports them (awsQuery codes and
// their exception classes). `final`: the request or the account's setup must change, whatever the status says.
const SNS_CODES: ServiceErrorCodes = {
  throttling: new Set(['Throttled', 'KMSThrottling', 'KMSThrottlingException']),
  transient: new Set(['InternalError', 'InternalErrorException']),
  final: new Set([
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
  ]),
};

/**
 * Retry or not, by the shared classifier (lib/aws/sdk-error.ts) with SNS's codes, plus two SNS rules: a KMS
 * refusal (any `KMS…` code but throttling: disabled key, no grant) is final, and so is a client-side fault
 * raised before any response (the request could not even be built or signed).
 */
function classifySnsError(error: unknown, name: string, status: number | null): 'retryable' | 'final' {
  const e = (error ?? {}) as { $fault?: unknown };
  if (name.startsWith('KMS') && !SNS_CODES.throttling?.has(name)) return 'final';
  const verdict = classifySdkError(error, SNS_CODES);
  if (verdict === 'retryable' && status === null && e.$fault === 'client') {
    return inspectSdkError(error, SNS_CODES).throttling ? 'retryable' : 'final';
  }
  return verdict;
}

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

  if (classifySnsError(error, name, status) === 'final') {
    const kind = name.startsWith('KMS') ? 'refused by KMS' : 'rejected';
    return new NotifierRejectedError(describe(kind), name, status, { cause: error });
  }
  const facts = inspectSdkError(error, SNS_CODES);
  if (status !== null || facts.throttling || facts.transient) {
    return new NotifierUnavailableError(describe('failed'), name, status, { cause: error });
  }
  // No response at all: connection reset, DNS, timeout. SNS may be fine a moment later.
  const code = typeof e.code === 'string' ? e.code : name;
  return new NotifierUnavailableError(
    describe('failed (no response)'),
    NETWORK_CODES.has(code) ? code : 'NetworkError',
    null,
    { cause: error },
  );
}
