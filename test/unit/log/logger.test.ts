import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel, parseLogLevel } from '../../../lib/log/index.ts';

const NOW = new Date('2026-01-10T12:00:00.000Z');

function capture(level: LogLevel = 'debug', maxLineBytes?: number) {
  const lines: string[] = [];
  const logger = createLogger({ level, sink: (line) => lines.push(line), now: () => NOW, maxLineBytes });
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, entries };
}

describe('createLogger', () => {
  it('writes one JSON line with level, timestamp, message and the bound context', () => {
    const { logger, lines, entries } = capture();
    logger
      .child({ function: 'image-pushed' })
      .child({ eventId: 'e-1', repository: 'team/app', digest: 'sha256:ab' })
      .info('decided', { verdict: 'approved' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(entries()[0]).toEqual({
      level: 'info',
      timestamp: '2026-01-10T12:00:00.000Z',
      message: 'decided',
      function: 'image-pushed',
      eventId: 'e-1',
      repository: 'team/app',
      digest: 'sha256:ab',
      verdict: 'approved',
    });
  });

  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ] as const)('level %s writes %j', (level, expected) => {
    const { logger, entries } = capture(level);
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(entries().map((e) => e.level)).toEqual(expected);
  });

  it('never writes values under secret-looking keys, at any depth', () => {
    const { logger, lines } = capture();
    logger.info('request', {
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIA...',
      headers: {
        'x-amz-security-token': 'tok-value-1',
        Cookie: 'c=1',
        nested: [{ password: 'p4ss', ok: 'visible' }],
      },
      clientSecret: 's3cr3t',
      apiKey: 'k',
    });
    const line = lines[0] ?? '';
    for (const secret of ['AKIA', 'tok-value-1', 'c=1', 'p4ss', 's3cr3t', '"k"'])
      expect(line).not.toContain(secret);
    expect(line).toContain('visible');
    expect(line.match(/\[REDACTED\]/g)).toHaveLength(6);
  });

  it('serialises errors with name, message and the cause chain', () => {
    const { logger, entries } = capture();
    const root = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const sdk = Object.assign(new Error('Rate exceeded', { cause: root }), {
      name: 'ThrottledException',
      $metadata: { httpStatusCode: 400 },
    });
    class NotifierUnavailableError extends Error {}
    const top = new NotifierUnavailableError('SNS publish failed', { cause: sdk });
    top.name = 'NotifierUnavailableError';
    logger.error('publish failed', top);
    const error = entries()[0]?.error as Record<string, unknown>;
    expect(error.name).toBe('NotifierUnavailableError');
    expect(error.message).toBe('SNS publish failed');
    expect(typeof error.stack).toBe('string');
    expect(error.cause).toEqual({
      name: 'ThrottledException',
      message: 'Rate exceeded',
      cause: { name: 'Error', message: 'socket hang up' },
    });
  });

  it('survives a cyclic cause chain and circular objects', () => {
    const { logger, entries } = capture();
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const circular: Record<string, unknown> = { name: 'x' };
    circular.self = circular;
    logger.error('loop', { error: a, circular });
    const entry = entries()[0] ?? {};
    expect(JSON.stringify(entry.error)).toContain('[Circular]');
    expect(entry.circular).toEqual({ name: 'x', self: '[Circular]' });
  });

  it('bounds line length: long strings cut, huge arrays summarised', () => {
    const { logger, lines, entries } = capture('debug', 16 * 1024);
    const findings = Array.from({ length: 10_000 }, (_, i) => ({
      id: `CVE-2024-${i}`,
      description: 'x'.repeat(5_000),
    }));
    logger.info('findings', { findings, note: 'y'.repeat(100_000), eventId: 'e-2' });
    expect(Buffer.byteLength(lines[0] ?? '')).toBeLessThanOrEqual(16 * 1024);
    const entry = entries()[0] ?? {};
    const list = entry.findings as unknown[];
    expect(list.at(-1)).toMatch(/^… \d+ more$/);
    expect(String(entry.note)).toMatch(/…\(\+\d+ chars\)$/);
    expect(entry.eventId).toBe('e-2');
  });

  it('reduces an unboundable line to its essentials', () => {
    const lines: string[] = [];
    const logger = createLogger({
      sink: (line) => lines.push(line),
      now: () => NOW,
      maxLineBytes: 600,
      context: { eventId: 'e-3', digest: 'sha256:cd' },
    });
    const wide = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key${i}`, 'v'.repeat(60)]));
    logger.warn('wide', wide);
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(Buffer.byteLength(lines[0] ?? '')).toBeLessThanOrEqual(600);
    expect(entry).toMatchObject({
      level: 'warn',
      message: 'wide',
      eventId: 'e-3',
      digest: 'sha256:cd',
      truncated: true,
    });
  });

  it('keeps reserved fields from being overwritten by data', () => {
    const { logger, entries } = capture();
    logger.info('real', { message: 'fake', level: 'error' });
    expect(entries()[0]).toMatchObject({
      level: 'info',
      message: 'real',
      'data.message': 'fake',
      'data.level': 'error',
    });
  });

  it('writes to process.stdout by default', () => {
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      createLogger({ now: () => NOW }).info('to stdout');
    } finally {
      process.stdout.write = original;
    }
    expect(written).toEqual([
      '{"level":"info","timestamp":"2026-01-10T12:00:00.000Z","message":"to stdout"}\n',
    ]);
  });
});

it.each([
  ['INFO', 'info'],
  [' warn ', 'warn'],
  ['trace', null],
])('parseLogLevel(%j) = %j', (text, expected) => {
  expect(parseLogLevel(text)).toBe(expected);
});
