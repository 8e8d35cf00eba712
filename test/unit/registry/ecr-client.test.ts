import { describe, expect, it } from 'vitest';
import { createEcrClient, ECR_CLIENT_DEFAULTS } from '../../../lib/registry/ecr-client.ts';

describe('createEcrClient', () => {
  it('sets explicit retry settings: 5 attempts, adaptive mode', async () => {
    const client = createEcrClient({ region: 'eu-west-1' });
    try {
      expect(await client.config.maxAttempts()).toBe(ECR_CLIENT_DEFAULTS.maxAttempts);
      expect(await client.config.region()).toBe('eu-west-1');
      const strategy = await client.config.retryStrategy();
      expect((strategy as { mode?: string }).mode).toBe('adaptive');
    } finally {
      client.destroy();
    }
  });

  it('honours overrides (standard mode, fewer attempts, explicit endpoint)', async () => {
    const client = createEcrClient({
      region: 'us-east-1',
      maxAttempts: 2,
      retryMode: 'standard',
      endpoint: 'http://127.0.0.1:9',
    });
    try {
      expect(await client.config.maxAttempts()).toBe(2);
      expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('standard');
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe('127.0.0.1');
    } finally {
      client.destroy();
    }
  });

  it.each([0, 21, 2.5])('refuses maxAttempts %s', (maxAttempts) => {
    expect(() => createEcrClient({ maxAttempts })).toThrow(RangeError);
  });
});
