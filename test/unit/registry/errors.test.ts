import { describe, expect, it } from 'vitest';
import { GatekeeperError } from '../../../lib/errors/gatekeeper-error.ts';
import {
  classifyRegistryError,
  errorCode,
  ManifestDigestMismatchError,
  RegistryRejectedError,
  RegistryUnavailableError,
  ScanQuotaExceededError,
  toRegistryError,
} from '../../../lib/registry/errors.ts';
import { networkError, sdkError } from '../../support/sdk-errors.ts';

describe('classifyRegistryError', () => {
  it.each<[string, unknown, string, 'retryable' | 'final']>([
    // Throttling
    ['HTTP 429 with any name', sdkError('TooManyRequests', 429), 'PutImage', 'retryable'],
    ['ThrottlingException', sdkError('ThrottlingException', 400), 'PutImage', 'retryable'],
    [
      'ThrottleException (ECR troubleshooting wording, not in the SDK list)',
      sdkError('ThrottleException', 400),
      'BatchGetImage',
      'retryable',
    ],
    ['LimitExceededException on PutImage', sdkError('LimitExceededException', 400), 'PutImage', 'retryable'],
    [
      'LimitExceededException on BatchGetImage',
      sdkError('LimitExceededException', 400),
      'BatchGetImage',
      'retryable',
    ],
    [
      'LimitExceededException on StartImageScan (1 scan / image / 24 h)',
      sdkError('LimitExceededException', 400),
      'StartImageScan',
      'final',
    ],
    [
      'ScanQuotaExceededError (the short-circuited form)',
      new ScanQuotaExceededError('quota'),
      'StartImageScan',
      'final',
    ],
    // Server side and transport
    ['ServerException 500', sdkError('ServerException', 500), 'DescribeImageScanFindings', 'retryable'],
    ['an unnamed 502', sdkError('UnknownError', 502), 'PutImage', 'retryable'],
    ['an unnamed 503', sdkError('ServiceUnavailable', 503), 'PutImage', 'retryable'],
    [
      'TimeoutError (requestTimeout)',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'PutImage',
      'retryable',
    ],
    ['ECONNRESET', networkError('ECONNRESET'), 'BatchGetImage', 'retryable'],
    ['ECONNREFUSED', networkError('ECONNREFUSED'), 'BatchGetImage', 'retryable'],
    ['EAI_AGAIN', networkError('EAI_AGAIN'), 'BatchGetImage', 'retryable'],
    ['socket hang up (no status, no code)', new Error('socket hang up'), 'PutImage', 'retryable'],
    [
      'a TypeError wrapping ECONNRESET (fetch)',
      Object.assign(new TypeError('fetch failed'), { cause: networkError('ECONNRESET') }),
      'DownloadConfig',
      'retryable',
    ],
    [
      'KMS upstream trouble as BatchGetImage failure code',
      sdkError('UpstreamUnavailable', 400),
      'BatchGetImage',
      'retryable',
    ],
    // Final
    ['RepositoryNotFoundException', sdkError('RepositoryNotFoundException', 400), 'PutImage', 'final'],
    ['InvalidParameterException', sdkError('InvalidParameterException', 400), 'PutImage', 'final'],
    ['ValidationException', sdkError('ValidationException', 400), 'StartImageScan', 'final'],
    ['LayersNotFoundException', sdkError('LayersNotFoundException', 400), 'PutImage', 'final'],
    [
      'ReferencedImagesNotFoundException',
      sdkError('ReferencedImagesNotFoundException', 400),
      'PutImage',
      'final',
    ],
    ['KmsException', sdkError('KmsException', 400), 'PutImage', 'final'],
    [
      'ImageDigestDoesNotMatchException',
      sdkError('ImageDigestDoesNotMatchException', 400),
      'PutImage',
      'final',
    ],
    ['ImageTagAlreadyExistsException', sdkError('ImageTagAlreadyExistsException', 400), 'PutImage', 'final'],
    ['AccessDeniedException', sdkError('AccessDeniedException', 400), 'PutImage', 'final'],
    ['an unknown 4xx', sdkError('SomethingNewException', 400), 'PutImage', 'final'],
    ['an unknown 403', sdkError('Forbidden', 403), 'PutImage', 'final'],
    [
      'ManifestDigestMismatchError',
      new ManifestDigestMismatchError('PutImage', 'sha256:a', 'sha256:b'),
      'PutImage',
      'final',
    ],
    [
      'RegistryUnavailableError passes through',
      new RegistryUnavailableError('PutImage', 'X', 'y'),
      'PutImage',
      'retryable',
    ],
  ])('%s → %s', (_name, error, operation, expected) => {
    expect(classifyRegistryError(error, operation)).toBe(expected);
  });
});

describe('toRegistryError', () => {
  it('wraps a retryable SDK error as RegistryUnavailableError with operation, code and cause', () => {
    const cause = sdkError('ThrottlingException', 400);
    const error = toRegistryError(cause, 'PutImage', '123456789012/demo@sha256:x');
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(error).toBeInstanceOf(GatekeeperError);
    expect(error).toMatchObject({
      operation: 'PutImage',
      code: 'ThrottlingException',
      retryable: true,
      cause,
    });
    expect(error.message).toBe(
      'PutImage: ThrottlingException: 123456789012/demo@sha256:x: ThrottlingException happened',
    );
    expect(error.name).toBe('RegistryUnavailableError');
  });

  it('wraps a final SDK error as RegistryRejectedError', () => {
    const error = toRegistryError(sdkError('KmsException', 400), 'PutImage', 'ctx');
    expect(error).toBeInstanceOf(RegistryRejectedError);
    expect(error.retryable).toBe(false);
  });

  it('returns registry errors unchanged', () => {
    const original = new RegistryRejectedError('PutImage', 'X', 'y');
    expect(toRegistryError(original, 'BatchGetImage', 'z')).toBe(original);
  });

  it('errorCode reads SDK names, Node codes and causes', () => {
    expect(errorCode(sdkError('ScanNotFoundException', 400))).toBe('ScanNotFoundException');
    expect(errorCode(networkError('EPIPE'))).toBe('EPIPE');
    expect(errorCode(new ScanQuotaExceededError('x'))).toBe('LimitExceededException');
    expect(errorCode(null)).toBe('UnknownError');
  });
});
