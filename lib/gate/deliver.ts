/**
 * Sending messages: the verdict message a decision owes, published once (claim, publish, mark sent, with the
 * same bytes after a crash), and alerts that are not verdicts (at least once).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { LedgerRecord, NotificationRecord } from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { OutboundMessage } from '../notify/notifier.ts';
import type { GateDependencies } from './context.ts';
import { NotificationInFlightError } from './errors.ts';
import { recordedStateKey } from './plan.ts';
import { putRetrying } from './record-decision.ts';

/**
 * Publishes the message the record owes, once: claim (lease) → publish → mark sent and announced. A fresh claim
 * by another invocation means "try again later"; an expired one (a crash after or during the publish) is
 * claimed again and the same message is sent again, byte for byte, with the same dedupe key.
 * Returns the subject published, or null when nothing was owed.
 */
export async function deliverOwed(
  deps: GateDependencies,
  initial: LedgerRecord,
  render: (notification: NotificationRecord) => OutboundMessage,
  log: Logger,
): Promise<string | null> {
  let record = initial;
  for (const earlier of initial.unconfirmed ?? []) {
    // Sent again as it was first handed to SNS, then forgotten: its state is already announced.
    if (earlier.payload) await deps.notifier.publish(unpackMessage(earlier.payload));
    record = await putRetrying(deps, record, (latest) => ({
      ...latest,
      unconfirmed: (latest.unconfirmed ?? []).filter((u) => u.dedupeKey !== earlier.dedupeKey),
    }));
    log.info('earlier message with an unknown outcome sent again', { dedupeKey: earlier.dedupeKey });
  }
  const notification = record.notification;
  if (!notification || notification.state === 'sent' || !record.decision) return null;
  if (notification.stateKey !== recordedStateKey(record.decision)) return null;
  const now = deps.now();
  if (
    notification.state === 'publishing' &&
    notification.claimedAt &&
    now.getTime() - Date.parse(notification.claimedAt) < deps.settings.notificationLeaseMs
  ) {
    throw new NotificationInFlightError(
      `${record.key}: notification ${notification.dedupeKey} is being published`,
    );
  }
  // The same bytes every time: a claim that expired (its outcome unknown) is completed with the stored message.
  const message = notification.payload ? unpackMessage(notification.payload) : render(notification);
  const claimed = await deps.ledger.put(
    {
      ...record,
      notification: {
        ...notification,
        state: 'publishing',
        claimedAt: now.toISOString(),
        payload: notification.payload ?? packMessage(message),
      },
    },
    record.version,
  );
  let messageId: string;
  try {
    messageId = await deps.notifier.publish(message);
  } catch (error) {
    try {
      await deps.ledger.put(
        // The outcome is unknown (a lost response can follow an accepted publish): the claim is released, the
        // stored message is kept, and the next attempt sends exactly these bytes.
        {
          ...claimed,
          notification: { ...notification, state: 'pending', claimedAt: null, payload: packMessage(message) },
        },
        claimed.version,
      );
    } catch (releaseError) {
      log.warn('could not release the notification claim; it expires by itself', {
        error: releaseError instanceof Error ? releaseError.message : String(releaseError),
      });
    }
    throw error;
  }
  const announced = {
    stateKey: notification.stateKey,
    verdict: record.decision.verdict,
    dedupeKey: notification.dedupeKey,
  };
  await putRetrying(deps, claimed, (latest) =>
    latest.notification?.dedupeKey === notification.dedupeKey
      ? {
          ...latest,
          announced,
          notification: {
            ...notification,
            state: 'sent',
            claimedAt: null,
            messageId,
            sentAt: deps.now().toISOString(),
            payload: null,
          },
        }
      : latest,
  );
  log.info('notification published', {
    subject: message.subject,
    dedupeKey: notification.dedupeKey,
    messageId,
  });
  return message.subject;
}

function packMessage(message: OutboundMessage): string {
  return deflateRawSync(Buffer.from(JSON.stringify(message), 'utf8')).toString('base64');
}

function unpackMessage(payload: string): OutboundMessage {
  return JSON.parse(inflateRawSync(Buffer.from(payload, 'base64')).toString('utf8')) as OutboundMessage;
}

/** Publishes an alert that is not a verdict (at least once). */
export async function publishAlert(
  deps: GateDependencies,
  input: Parameters<GateDependencies['messages']['alert']>[0],
): Promise<OutboundMessage> {
  const message = deps.messages.alert(input);
  const messageId = await deps.notifier.publish(message);
  deps.logger.info('alert published', {
    kind: input.kind,
    repository: input.image?.repository ?? null,
    digest: input.image?.digest ?? null,
    subject: message.subject,
    messageId,
  });
  return message;
}
