import { describe, expect, it } from 'vitest';
import {
  classifySdkError,
  inspectSdkError,
  NETWORK_CODES,
  type SdkErrorFacts,
  SERVER_ERROR_CODES,
  type ServiceErrorCodes,
  sdkErrorCode,
  sdkErrorMessage,
  sdkHttpStatus,
  THROTTLING_CODES,
  TIMEOUT_CODES,
} from '../../../lib/aws/sdk-error.ts';
import { networkError, sdkError } from '../../support/sdk-errors.ts';

const SERVICE: ServiceErrorCodes = {
  throttling: new Set(['ServiceSlowDown']),
  transient: new Set(['ServiceHiccup']),
  final: new Set(['ServiceRefusal']),
};

type Facts = Omit<SdkErrorFacts, 'code' | 'httpStatus'>;
const none: Facts = { throttling: false, transient: false, network: false };

describe('inspectSdkError', () => {
  it.each<[string, unknown, string, number | null, Facts]>([
    [
      'HTTP 429 with an unknown name',
      sdkError('TooManyRequests', 429),
      'TooManyRequests',
      429,
      { ...none, throttling: true },
    ],
    [
      'ThrottlingException at 400',
      sdkError('ThrottlingException', 400),
      'ThrottlingException',
      400,
      { ...none, throttling: true },
    ],
    ['SlowDown', sdkError('SlowDown', 503), 'SlowDown', 503, { ...none, throttling: true }],
    [
      'InternalServerException 500',
      sdkError('InternalServerException', 500),
      'InternalServerException',
      500,
      { ...none, transient: true },
    ],
    [
      'ServiceUnavailable 503',
      sdkError('ServiceUnavailable', 503),
      'ServiceUnavailable',
      503,
      { ...none, transient: true },
    ],
    [
      'the SDK request timeout',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'TimeoutError',
      null,
      { ...none, transient: true },
    ],
    [
      'an aborted request',
      Object.assign(new Error('aborted'), { name: 'RequestAbortedError' }),
      'RequestAbortedError',
      null,
      { ...none, transient: true },
    ],
    [
      'expired temporary credentials',
      sdkError('ExpiredTokenException', 400),
      'ExpiredTokenException',
      400,
      { ...none, transient: true },
    ],
    ['ECONNRESET', networkError('ECONNRESET'), 'ECONNRESET', null, { ...none, network: true }],
    [
      'undici socket error',
      networkError('UND_ERR_SOCKET'),
      'UND_ERR_SOCKET',
      null,
      { ...none, network: true },
    ],
    [
      'a named error carrying a network code',
      Object.assign(new Error('x'), { name: 'SocketError', code: 'EPIPE' }),
      'SocketError',
      null,
      { ...none, network: true },
    ],
    [
      'a TypeError (fetch) wrapping ECONNREFUSED',
      Object.assign(new TypeError('fetch failed'), { cause: networkError('ECONNREFUSED') }),
      'ECONNREFUSED',
      null,
      { ...none, network: true },
    ],
    ['a plain Error', new Error('socket hang up'), 'Error', null, none],
    ['a validation error', sdkError('ValidationException', 400), 'ValidationException', 400, none],
    [
      'a non-numeric status is no status',
      { name: 'X', $metadata: { httpStatusCode: '503' } },
      'X',
      null,
      none,
    ],
    ['null', null, 'UnknownError', null, none],
    ['a string', 'boom', 'UnknownError', null, none],
    [
      'a service throttling code',
      sdkError('ServiceSlowDown', 400),
      'ServiceSlowDown',
      400,
      { ...none, throttling: true },
    ],
    [
      'a service transient code',
      sdkError('ServiceHiccup', 400),
      'ServiceHiccup',
      400,
      { ...none, transient: true },
    ],
  ])('%s', (_name, error, code, httpStatus, facts) => {
    expect(inspectSdkError(error, SERVICE)).toEqual({ code, httpStatus, ...facts });
  });

  it('service codes apply only when given', () => {
    expect(inspectSdkError(sdkError('ServiceSlowDown', 400)).throttling).toBe(false);
    expect(inspectSdkError(sdkError('ServiceHiccup', 400)).transient).toBe(false);
  });

  it('a module reads its own errors by their code, also as a cause', () => {
    class OwnError extends Error {
      override readonly name = 'OwnError';
      readonly code = 'OwnCode';
    }
    const ownCode = (error: object) => (error instanceof OwnError ? error.code : undefined);
    expect(sdkErrorCode(new OwnError('x'), ownCode)).toBe('OwnCode');
    expect(sdkErrorCode(new TypeError('y', { cause: new OwnError('x') }), ownCode)).toBe('OwnCode');
    expect(sdkErrorCode(new OwnError('x'))).toBe('OwnError');
  });
});

describe('classifySdkError', () => {
  it.each<[string, unknown, 'retryable' | 'final']>([
    ['HTTP 429', sdkError('Whatever', 429), 'retryable'],
    ['throttling code at 400', sdkError('RequestLimitExceeded', 400), 'retryable'],
    ['throttling wins over a final code', sdkError('ServiceRefusal', 429), 'retryable'],
    ['a final code at 503', sdkError('ServiceRefusal', 503), 'final'],
    ['a server-side code at 400', sdkError('InternalFailure', 400), 'retryable'],
    ['an unnamed 502', sdkError('UnknownError', 502), 'retryable'],
    ['a timeout', Object.assign(new Error('t'), { name: 'TimeoutError' }), 'retryable'],
    ['a network error', networkError('EAI_AGAIN'), 'retryable'],
    ['no status at all', new Error('socket hang up'), 'retryable'],
    ['not an object', undefined, 'retryable'],
    ['an unknown 4xx', sdkError('SomethingNewException', 400), 'final'],
    ['a 403', sdkError('Forbidden', 403), 'final'],
  ])('%s → %s', (_name, error, expected) => {
    expect(classifySdkError(error, SERVICE)).toBe(expected);
  });
});

describe('helpers and lists', () => {
  it('reads the status and the message', () => {
    expect(sdkHttpStatus(sdkError('X', 418))).toBe(418);
    expect(sdkHttpStatus(new Error('x'))).toBeNull();
    expect(sdkErrorMessage(sdkError('X', 400))).toBe('X happened');
    expect(sdkErrorMessage(42)).toBe('42');
  });

  it('keeps the lists disjoint, so a code has one meaning', () => {
    const lists = [THROTTLING_CODES, SERVER_ERROR_CODES, TIMEOUT_CODES, NETWORK_CODES];
    const seen = new Map<string, number>();
    lists.forEach((list, i) => {
      for (const code of list) {
        expect(seen.get(code), code).toBeUndefined();
        seen.set(code, i);
      }
    });
  });
});
