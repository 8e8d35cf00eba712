/**
 * The SNS adapter over HTTP: the real SNSClient (our retry settings) publishing to the local SNS endpoint, with
 * the size limit enforced by the endpoint and faults injected at the transport.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotifierRejectedError, NotifierUnavailableError } from '../../../lib/notify/errors.ts';
import { formatDecision } from '../../../lib/notify/format.ts';
import { MAX_PUBLISH_BYTES, messageSizeBytes } from '../../../lib/notify/message-size.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import { createSnsClient, SnsNotifier } from '../../../lib/notify/sns-notifier.ts';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import {
  decision,
  imageContext,
  manyFindings,
  summaryOf,
  violationFor,
} from '../../unit/notify/notice-fixtures.ts';

let aws: LocalAws;
let client: SNSClient;
let notifier: SnsNotifier;
let topicArn: string;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['gatekeeper'], dynamodb: false });
  topicArn = aws.sns.topicArns()[0] ?? '';
  client = createSnsClient({
    topicArn,
    endpoint: aws.endpoints.sns,
    credentials: {
      accessKeyId: aws.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
  notifier = new SnsNotifier(client, topicArn);
});

afterAll(async () => {
  client?.destroy();
  await aws?.stop();
});

beforeEach(() => {
  aws.faults.sns.clear();
  aws.resetCounts();
});

function tenThousandFindings(): OutboundMessage {
  const findings = manyFindings(10_000);
  return formatDecision(
    {
      kind: 'decision',
      decision: decision({ summary: summaryOf(findings), violations: findings.map((f) => violationFor(f)) }),
      image: imageContext({ region: aws.region, registryId: aws.accountId }),
      previousVerdict: 'approved',
      findings,
    },
    { now: new Date('2026-01-10T12:00:00Z') },
  );
}

describe('SnsNotifier against the local SNS endpoint', () => {
  it('publishes a 10,000-finding alert once, under the limit, with its structure and attributes', async () => {
    const message = tenThousandFindings();
    const before = aws.sns.publishes(topicArn).length;
    const id = await notifier.publish(message);

    const published = aws.sns.publishes(topicArn).slice(before);
    expect(published).toHaveLength(1);
    const record = published[0]!;
    expect(record.messageId).toBe(id);
    expect(record.messageStructure).toBe('json');
    expect(record.subject).toBe(message.subject);
    expect(record.sizeBytes).toBeLessThan(MAX_PUBLISH_BYTES);
    // The endpoint counts what our formatter bounds (bodies + subject + attributes), give or take the subject.
    expect(Math.abs(record.sizeBytes - messageSizeBytes(message))).toBeLessThanOrEqual(
      Buffer.byteLength(message.subject),
    );
    const structure = JSON.parse(record.message) as Record<string, string>;
    expect(Object.keys(structure)).toEqual(['default', 'email', 'https']);
    expect(JSON.parse(structure.https ?? '{}')).toMatchObject({ version: '1.0', source: 'custom' });
    expect(record.messageAttributes.verdict).toEqual({ DataType: 'String', StringValue: 'quarantined' });
    expect(record.messageAttributes.change).toEqual({ DataType: 'String', StringValue: 're-quarantined' });
    expect(record.messageAttributes.tags?.DataType).toBe('String.Array');
    expect(aws.callCounts().sns.Publish).toBe(1);
  });

  it('an oversize message is rejected by SNS as final, not retried', async () => {
    const base = tenThousandFindings();
    const oversize: OutboundMessage = {
      ...base,
      bodies: { ...base.bodies, default: 'x'.repeat(MAX_PUBLISH_BYTES) },
    };
    const before = aws.sns.publishes(topicArn).length;

    const error = await notifier.publish(oversize).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotifierRejectedError);
    expect((error as NotifierRejectedError).retryable).toBe(false);
    expect((error as NotifierRejectedError).code).toMatch(/^InvalidParameter/);
    expect((error as Error).message).toMatch(/too long/i);
    expect(aws.callStats().sns.Publish?.attempts).toBe(1);
    expect(aws.sns.publishes(topicArn)).toHaveLength(before);
  });

  it('a 5xx is retried by the client and the message is published once', async () => {
    aws.faults.sns.failNext('Publish', 1, 'server-error');
    const before = aws.sns.publishes(topicArn).length;

    await notifier.publish(tenThousandFindings());

    expect(aws.callStats().sns.Publish).toMatchObject({ attempts: 2, faulted: 1, calls: 1 });
    expect(aws.sns.publishes(topicArn)).toHaveLength(before + 1);
  });

  it('throttling is retried too', async () => {
    aws.faults.sns.failNext('Publish', 2, 'throttle');
    await notifier.publish(tenThousandFindings());
    expect(aws.callStats().sns.Publish).toMatchObject({ attempts: 3, faulted: 2, calls: 1 });
  });

  it('5xx beyond the attempts surfaces as a retryable NotifierUnavailableError, nothing published', async () => {
    aws.faults.sns.failNext('Publish', 5, 'unavailable');
    const before = aws.sns.publishes(topicArn).length;

    const error = await notifier.publish(tenThousandFindings()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotifierUnavailableError);
    expect((error as NotifierUnavailableError).retryable).toBe(true);
    expect((error as NotifierUnavailableError).httpStatusCode).toBe(503);
    expect(aws.callStats().sns.Publish?.attempts).toBe(3);
    expect(aws.sns.publishes(topicArn)).toHaveLength(before);
  });

  it('dropped connections surface as retryable after the attempts', async () => {
    aws.faults.sns.failNext('Publish', 3, 'drop');
    const error = await notifier.publish(tenThousandFindings()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifierUnavailableError);
    expect(aws.callStats().sns.Publish?.attempts).toBe(3);
  });

  it('a hung Publish times out after requestTimeoutMs and is retried, instead of waiting for the hang', async () => {
    // The production factory with a short timeout: without throwOnRequestTimeout the SDK only logs a warning
    // and waits until the endpoint gives up on the socket (3 s here), then retries.
    const hangMs = 3_000;
    const quick = createSnsClient({
      topicArn,
      requestTimeoutMs: 200,
      endpoint: aws.endpoints.sns,
      credentials: {
        accessKeyId: aws.env.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY ?? '',
      },
    });
    try {
      aws.faults.sns.failNext('Publish', 1, { hangMs });
      const before = aws.sns.publishes(topicArn).length;
      const started = Date.now();

      await new SnsNotifier(quick, topicArn).publish(tenThousandFindings());

      expect(Date.now() - started).toBeLessThan(hangMs / 2);
      expect(aws.callStats().sns.Publish).toMatchObject({ attempts: 2, faulted: 1, calls: 1 });
      expect(aws.sns.publishes(topicArn)).toHaveLength(before + 1);

      // Every attempt hung: a retryable NotifierUnavailableError (TimeoutError), well before the hangs end.
      aws.faults.sns.failNext('Publish', 3, { hangMs });
      const again = Date.now();
      const error = await new SnsNotifier(quick, topicArn)
        .publish(tenThousandFindings())
        .catch((e: unknown) => e);
      expect(Date.now() - again).toBeLessThan(hangMs);
      expect(error).toBeInstanceOf(NotifierUnavailableError);
      expect((error as NotifierUnavailableError).retryable).toBe(true);
      expect(aws.sns.publishes(topicArn)).toHaveLength(before + 1);
    } finally {
      quick.destroy();
    }
  });

  it('an authorization error is final', async () => {
    aws.faults.sns.failNext('Publish', 1, {
      status: 403,
      code: 'AuthorizationError',
      message: 'not authorized to publish',
    });
    const error = await notifier.publish(tenThousandFindings()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifierRejectedError);
    expect(aws.callStats().sns.Publish?.attempts).toBe(1);
  });
});
