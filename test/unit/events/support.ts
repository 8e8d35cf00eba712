/**
 * The real EventBridge payloads the event tests start from: every event in test/fixtures/aws (AWS
 * documentation samples and captured events) and the samples in events/, each also in a usable form.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely
export type Json = Record<string, any>;

const FIXTURES = join(import.meta.dirname, '../../fixtures/aws');
const SAMPLES = join(import.meta.dirname, '../../../events');

/** A valid digest (sha256 of the byte-exact Docker Hub manifest fixture). */
export const VALID_DIGEST = 'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc';

export interface EventFixture {
  /** `fixtures/aws/<file>` or `events/<file>`. */
  readonly name: string;
  /** The payload as published. */
  readonly raw: Json;
  /**
   * The same payload with AWS's documentation placeholders made real, nothing else changed: every digest that
   * is not sha256 + 64 hex (`…EXAMPLE`, 60 hex) becomes {@link VALID_DIGEST}, the impossible date 2023-02-29 of
   * the pull-through-cache sample becomes 2023-02-28.
   */
  readonly usable: Json;
}

function load(dir: string, prefix: string): EventFixture[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const raw = JSON.parse(text) as Json;
      if (typeof raw['detail-type'] !== 'string') return [];
      const usableText = text
        .replace(/sha256:[0-9A-Za-z]+/g, (digest) =>
          /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : VALID_DIGEST,
        )
        .replace('2023-02-29T', '2023-02-28T');
      return [{ name: `${prefix}/${file}`, raw, usable: JSON.parse(usableText) as Json }];
    });
}

/** Every EventBridge event among the fixtures, sorted by name. */
export function eventFixtures(): EventFixture[] {
  return [...load(FIXTURES, 'fixtures/aws'), ...load(SAMPLES, 'events')];
}
