import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageTokens, PaginationError, paginate } from '../../../lib/aws/paginate.ts';

type Page = { readonly items: readonly number[]; readonly nextToken?: string };

/** A listing whose `i`-th page answers `pages[i]`, recording the tokens it was asked with. */
function listing(pages: readonly Page[]) {
  const asked: (string | undefined)[] = [];
  const fetchPage = async (token: string | undefined): Promise<Page> => {
    asked.push(token);
    const page = pages[asked.length - 1];
    if (!page) throw new Error(`page ${asked.length} was not scripted`);
    return page;
  };
  return { asked, fetchPage };
}

async function collect(pages: readonly Page[], maxPages?: number) {
  const { asked, fetchPage } = listing(pages);
  const seen: Page[] = [];
  try {
    for await (const page of paginate(fetchPage, maxPages === undefined ? {} : { maxPages })) seen.push(page);
    return { seen, asked, error: null };
  } catch (error) {
    return { seen, asked, error };
  }
}

describe('paginate', () => {
  it('follows tokens to the end, the first page without one; empty pages with a token go on', async () => {
    const { seen, asked, error } = await collect([
      { items: [1], nextToken: 'a' },
      { items: [], nextToken: 'b' },
      { items: [2], nextToken: '' },
    ]);
    expect(error).toBeNull();
    expect(seen.flatMap((p) => p.items)).toEqual([1, 2]);
    expect(asked).toEqual([undefined, 'a', 'b']);
  });

  it('a repeated token (not only the previous one) fails retryable after the page that repeats it', async () => {
    const { seen, error } = await collect([
      { items: [1], nextToken: 'a' },
      { items: [2], nextToken: 'b' },
      { items: [3], nextToken: 'a' },
    ]);
    expect(seen).toHaveLength(3);
    expect(error).toBeInstanceOf(PaginationError);
    expect(error).toMatchObject({ code: 'RepeatedNextToken', retryable: true });
    expect((error as Error).message).toBe('nextToken repeated after page 3');
  });

  it('more pages than maxPages fails final', async () => {
    const { seen, error } = await collect(
      [
        { items: [1], nextToken: 'a' },
        { items: [2], nextToken: 'b' },
      ],
      2,
    );
    expect(seen).toHaveLength(2);
    expect(error).toMatchObject({ code: 'TooManyPages', retryable: false, message: 'more than 2 pages' });
  });

  it("passes the call's own errors through unchanged", async () => {
    const refused = new Error('InvalidParameterException');
    const fetchPage = async (token: string | undefined): Promise<Page> => {
      if (token === 'a') throw refused;
      return { items: [1], nextToken: 'a' };
    };
    const iterate = async () => {
      for await (const _ of paginate(fetchPage));
    };
    await expect(iterate()).rejects.toBe(refused);
  });

  it('refuses maxPages below 1', () => {
    expect(() => new PageTokens(0)).toThrow(new RangeError('maxPages must be at least 1 (got 0)'));
  });

  // The rule, for any listing: every page is yielded in order until the first page whose token is absent or
  // empty (success), or whose token was seen before (retryable failure), or that is page `maxPages` with a token
  // (final failure); never a page more, never a request without the previous page's token.
  it('property: ends exactly where the rule says, with the right outcome', async () => {
    const token = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', '');
    const page = fc.record({
      items: fc.array(fc.nat(9), { maxLength: 2 }),
      nextToken: fc.option(token, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(page, { minLength: 1, maxLength: 9 }),
        fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
        async (pages, maxPages) => {
          const scripted = [
            ...pages.slice(0, -1),
            { ...pages[pages.length - 1], nextToken: undefined } as Page,
          ];
          const { seen, asked, error } = await collect(scripted, maxPages);

          // Model: walk the pages by the rule.
          const tokens = new Set<string>();
          let expected: { count: number; outcome: 'done' | 'RepeatedNextToken' | 'TooManyPages' } | null =
            null;
          for (let i = 0; i < scripted.length && expected === null; i += 1) {
            const t = scripted[i]?.nextToken;
            if (t === undefined || t === '') expected = { count: i + 1, outcome: 'done' };
            else if (tokens.has(t)) expected = { count: i + 1, outcome: 'RepeatedNextToken' };
            else if (maxPages !== undefined && i + 1 >= maxPages)
              expected = { count: i + 1, outcome: 'TooManyPages' };
            else tokens.add(t);
          }
          expect(seen).toEqual(scripted.slice(0, expected?.count));
          expect(asked).toEqual([
            undefined,
            ...scripted.slice(0, (expected?.count ?? 1) - 1).map((p) => p.nextToken),
          ]);
          if (expected?.outcome === 'done') expect(error).toBeNull();
          else
            expect(error).toMatchObject({
              code: expected?.outcome,
              retryable: expected?.outcome === 'RepeatedNextToken',
            });
        },
      ),
      { numRuns: 300 },
    );
  });
});
