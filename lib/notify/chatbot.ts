/**
 * AWS Chatbot (Amazon Q Developer in chat applications) custom notification. Chatbot forwards to Slack only
 * messages in this shape; anything else on the topic is dropped silently. Required: `version` "1.0" and
 * `source` "custom"; `textType` supports only "client-markdown". The documented schema gives no size limits,
 * so the bounds below are ours, chosen to stay inside what Slack renders in one message section.
 */
import { truncateUtf8 } from './text.ts';

export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    /** Groups updates about one image in one chat thread (when the channel allows threads). */
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

export const CHATBOT_LIMITS = {
  titleBytes: 250,
  descriptionBytes: 3_000,
  nextSteps: 5,
  nextStepBytes: 300,
  keywords: 5,
  keywordBytes: 50,
  relatedResources: 5,
  resourceBytes: 512,
  contextKeys: 10,
  contextValueBytes: 256,
  summaryBytes: 250,
} as const;

export interface ChatbotInput {
  readonly id: string;
  readonly threadId: string;
  readonly eventType: string;
  readonly title: string;
  readonly description: string;
  readonly nextSteps: readonly string[];
  readonly keywords: readonly string[];
  readonly summary: string;
  readonly relatedResources: readonly string[];
  readonly additionalContext: Readonly<Record<string, string>>;
}

/** Builds the notification with every field bounded (see {@link CHATBOT_LIMITS}). */
export function chatbotNotification(input: ChatbotInput): ChatbotNotification {
  const L = CHATBOT_LIMITS;
  const context: Record<string, string> = {};
  for (const key of Object.keys(input.additionalContext).sort().slice(0, L.contextKeys)) {
    context[key] = truncateUtf8(input.additionalContext[key] ?? '', L.contextValueBytes);
  }
  const keywords = [...new Set(input.keywords.filter((k) => k.trim() !== ''))]
    .slice(0, L.keywords)
    .map((k) => truncateUtf8(k, L.keywordBytes));
  return {
    version: '1.0',
    source: 'custom',
    id: input.id,
    content: {
      textType: 'client-markdown',
      title: truncateUtf8(input.title, L.titleBytes),
      description: truncateUtf8(input.description, L.descriptionBytes),
      nextSteps: input.nextSteps.slice(0, L.nextSteps).map((step) => truncateUtf8(step, L.nextStepBytes)),
      keywords,
    },
    metadata: {
      threadId: truncateUtf8(input.threadId, 128, ''),
      summary: truncateUtf8(input.summary, L.summaryBytes),
      eventType: truncateUtf8(input.eventType, 64, ''),
      relatedResources: input.relatedResources
        .slice(0, L.relatedResources)
        .map((resource) => truncateUtf8(resource, L.resourceBytes)),
      additionalContext: context,
    },
  };
}
