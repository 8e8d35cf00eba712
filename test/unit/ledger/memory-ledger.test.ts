import { describe, expect, it } from 'vitest';
import { imageKey } from '../../../lib/events/image-ref.ts';
import { newLedgerRecord } from '../../../lib/ledger/ledger.ts';
import { MemoryLedger } from '../../../lib/ledger/memory-ledger.ts';
import { ledgerContract } from './ledger-contract.ts';

describe('MemoryLedger', () => {
  ledgerContract(() => new MemoryLedger());

  it('hands out copies: callers cannot change stored records by aliasing', async () => {
    const ledger = new MemoryLedger();
    const image = {
      registryId: '123456789012',
      region: 'us-east-1',
      repository: 'a/b',
      digest: `sha256:${'c'.repeat(64)}`,
    };
    const stored = await ledger.put(newLedgerRecord(imageKey(image), image, new Date()), 0);
    (stored.ownTags as string[]).push('approved-x');
    expect((await ledger.get(image))?.ownTags).toEqual([]);
  });
});
