/**
 * The notifier port. `SnsNotifier` (sns-notifier.ts) is the only implementation that talks to AWS.
 * Messages are fully rendered before they reach the port (see format.ts): the port only delivers.
 */

/**
 * SNS message attributes used by subscription filter policies (kind, verdict, change, severity, repository …).
 * A string is sent as `String`, a list as `String.Array`. At most 10 (SQS raw delivery drops messages with more).
 */
export type MessageAttributes = Readonly<Record<string, string | readonly string[]>>;

export interface OutboundMessage {
  /** Email subject: at most 100 ASCII characters, no line breaks. */
  readonly subject: string;
  /**
   * Per-protocol bodies (SNS MessageStructure json); `default` is required. format.ts fills `default` with the
   * notification JSON for machines (SQS, Lambda, email-json, HTTP and Firehose subscribers fall back to it),
   * `email` with plain text and `https` with the AWS Chatbot custom notification (Chatbot subscribes over HTTPS).
   */
  readonly bodies: Readonly<
    { default: string } & Partial<Record<'email' | 'https' | 'sqs' | 'lambda', string>>
  >;
  readonly attributes: MessageAttributes;
  /** Stable id of the state change this message announces, for logs and deduplication. */
  readonly dedupeKey: string;
}

export interface Notifier {
  /** Publishes once; throws a retryable error when SNS is unavailable. Returns the SNS message id. */
  publish(message: OutboundMessage): Promise<string>;
}
