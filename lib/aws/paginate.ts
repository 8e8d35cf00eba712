/**
 * The one paginator of the gatekeeper's `nextToken` APIs (ECR DescribeRepositories, DescribeImages,
 * DescribeImageScanFindings; Inspector ListCoverage), with one rule for a page that cannot be right.
 *
 * - A page ends the listing when its token is absent, `null` or the empty string.
 * - A page with no items but a token is normal (filtered listings return such pages): the listing continues.
 * - A token already seen in this listing is a service defect that would loop forever: the listing fails with a
 *   **retryable** {@link PaginationError} (`RepeatedNextToken`). Retryable, because nothing about the request is
 *   wrong and a later listing starts from the first page with fresh tokens; the gatekeeper then fails closed
 *   (no verdict, no tag, no clean-up from a partial listing) and the invocation's bounded retries and dead-letter
 *   queue end it, like the other "pages that do not add up" case, inconsistent findings pages. It is never read
 *   as the end of the listing: that would decide on part of the findings.
 * - More pages than `maxPages` fails with a **final** {@link PaginationError} (`TooManyPages`): the listing is
 *   larger than the caller agreed to read, and reading it again gives the same answer.
 *
 * Errors of the calls themselves pass through unchanged: each adapter translates its SDK errors. The SDK's own
 * generated paginators (paginateDescribeImages, …) are not used: by default they follow a repeated token forever,
 * and with `stopOnSameToken` they end silently, as if the listing were complete, and only when the same token
 * comes twice in a row (@smithy/core createPaginator).
 */

export type PaginationErrorCode = 'RepeatedNextToken' | 'TooManyPages';

/** A listing that cannot be completed; `retryable` says whether a later attempt can succeed. */
export class PaginationError extends Error {
  override readonly name = 'PaginationError';
  readonly retryable: boolean;

  constructor(
    readonly code: PaginationErrorCode,
    message: string,
  ) {
    super(message);
    this.retryable = code === 'RepeatedNextToken';
  }
}

/**
 * The tokens of one listing: {@link PageTokens.next} takes each page's token and returns the token to send next,
 * or undefined when the listing is complete. For loops that need more than {@link paginate} gives them.
 */
export class PageTokens {
  readonly #seen = new Set<string>();
  readonly #maxPages: number;
  #pages = 0;

  /** @param maxPages pages allowed in this listing (default: no limit). */
  constructor(maxPages = Number.POSITIVE_INFINITY) {
    if (!(maxPages >= 1)) throw new RangeError(`maxPages must be at least 1 (got ${maxPages})`);
    this.#maxPages = maxPages;
  }

  /** Pages counted so far. */
  get pages(): number {
    return this.#pages;
  }

  /**
   * Counts one page and returns the token for the next request, undefined at the end. Throws PaginationError
   * for a repeated token (retryable) or a page beyond `maxPages` (final).
   */
  next(token: unknown): string | undefined {
    this.#pages += 1;
    if (typeof token !== 'string' || token === '') return undefined;
    if (this.#seen.has(token)) {
      throw new PaginationError('RepeatedNextToken', `nextToken repeated after page ${this.#pages}`);
    }
    if (this.#pages >= this.#maxPages) {
      throw new PaginationError('TooManyPages', `more than ${this.#maxPages} pages`);
    }
    this.#seen.add(token);
    return token;
  }
}

/**
 * Every page of a `nextToken` listing, first page without a token, by the rules above.
 *
 * @example for await (const page of paginate((nextToken) => client.send(new DescribeImagesCommand({ repositoryName, ...(nextToken ? { nextToken } : {}) })))) …
 */
export async function* paginate<Page extends { readonly nextToken?: string | undefined }>(
  fetchPage: (nextToken: string | undefined) => Promise<Page>,
  options: { readonly maxPages?: number } = {},
): AsyncGenerator<Page, void, undefined> {
  const tokens = new PageTokens(options.maxPages);
  let nextToken: string | undefined;
  do {
    const page = await fetchPage(nextToken);
    yield page;
    nextToken = tokens.next(page.nextToken);
  } while (nextToken !== undefined);
}
