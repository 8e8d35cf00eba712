import { describe, expect, it } from 'vitest';
import {
  classifyInspectorError,
  InspectorNoAccessError,
  InspectorRejectedError,
  InspectorUnavailableError,
  toInspectorError,
} from '../../../lib/inspector/errors.ts';

const sdk = (name: string, status?: number) =>
  Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status } });

describe('classifyInspectorError', () => {
  it.each([
    [sdk('AccessDeniedException', 403), 'no-access'],
    [sdk('UnrecognizedClientException', 403), 'no-access'],
    [sdk('SomethingForbidden', 403), 'no-access'],
    [sdk('ThrottlingException', 429), 'retryable'],
    [sdk('UnknownThrottle', 429), 'retryable'],
    [sdk('InternalServerException', 500), 'retryable'],
    [sdk('ServiceUnavailableException', 503), 'retryable'],
    [sdk('TimeoutError'), 'retryable'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'retryable'],
    [new Error('no status at all'), 'retryable'],
    [sdk('ValidationException', 400), 'final'],
    [sdk('BadRequestException', 400), 'final'],
    [sdk('ServiceQuotaExceededException', 402), 'final'],
  ])('%s → %s', (error, kind) => {
    expect(classifyInspectorError(error)).toBe(kind);
  });
});

describe('toInspectorError', () => {
  it.each([
    [sdk('AccessDeniedException', 403), InspectorNoAccessError, false],
    [sdk('ThrottlingException', 429), InspectorUnavailableError, true],
    [sdk('ValidationException', 400), InspectorRejectedError, false],
  ])('%s', (error, type, retryable) => {
    const translated = toInspectorError(error, 'ListCoverage', 'repository team/app');
    expect(translated).toBeInstanceOf(type);
    expect(translated.retryable).toBe(retryable);
    expect(translated.cause).toBe(error);
    expect(translated.message).toMatch(/^ListCoverage: \w+: repository team\/app: /);
    expect(translated.name).toBe(type.name);
  });
});
