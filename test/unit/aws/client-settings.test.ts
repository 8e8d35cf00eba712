import { describe, expect, it } from 'vitest';
import { type AwsClientDefaults, sdkClientConfig } from '../../../lib/aws/client-settings.ts';

const DEFAULTS: AwsClientDefaults = {
  maxAttempts: 5,
  retryMode: 'adaptive',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 15_000,
};

describe('sdkClientConfig', () => {
  it('falls back to the defaults and leaves region, endpoint and credentials to the SDK', () => {
    expect(sdkClientConfig({}, DEFAULTS)).toStrictEqual({
      maxAttempts: 5,
      retryMode: 'adaptive',
      requestHandler: {
        connectionTimeout: 3_000,
        requestTimeout: 15_000,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true },
        httpsAgent: { keepAlive: true },
      },
      customUserAgent: 'ecr-scan-gatekeeper',
    });
  });

  it('takes every setting given', () => {
    const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
    expect(
      sdkClientConfig(
        {
          region: 'eu-west-1',
          endpoint: 'http://127.0.0.1:9',
          maxAttempts: 2,
          retryMode: 'standard',
          connectionTimeoutMs: 100,
          requestTimeoutMs: 200,
          credentials,
        },
        DEFAULTS,
      ),
    ).toStrictEqual({
      maxAttempts: 2,
      retryMode: 'standard',
      requestHandler: {
        connectionTimeout: 100,
        requestTimeout: 200,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true },
        httpsAgent: { keepAlive: true },
      },
      customUserAgent: 'ecr-scan-gatekeeper',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      credentials,
    });
  });

  it('treats an explicit undefined as unset', () => {
    const config = sdkClientConfig({ region: undefined, maxAttempts: undefined }, DEFAULTS);
    expect(config.maxAttempts).toBe(5);
    expect('region' in config).toBe(false);
  });

  it.each([0, 21, 2.5, Number.NaN])('refuses maxAttempts %s', (maxAttempts) => {
    expect(() => sdkClientConfig({ maxAttempts }, DEFAULTS)).toThrow(
      new RangeError(`maxAttempts must be an integer from 1 to 20 (got ${maxAttempts})`),
    );
  });

  it.each([1, 20])('accepts maxAttempts %s', (maxAttempts) => {
    expect(sdkClientConfig({ maxAttempts }, DEFAULTS).maxAttempts).toBe(maxAttempts);
  });
});
