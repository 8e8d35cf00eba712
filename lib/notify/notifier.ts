/**
 * The notifier port. `SnsNotifier` (sns-notifier.ts) is the only implementation that talks to AWS.
 * Messages are fully rendered before they reach the port (see format.ts): the port only delivers.
 */

/** SNS message attributes used by subscription filter policies (verdict, severity, repository …). */
export type MessageAttributes = Readonly<Record<string, string | readonly string[]>>;

export interface OutboundMessage {
  /** Email subject: at most 100 ASCII characters, no line breaks. */
  readonly subject: string;
  /** Per-protocol bodies; `default` is required (SNS MessageStructure json). */
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
