/**
 * Bounded, timed download of a config blob from the pre-signed URL ECR's GetDownloadUrlForLayer returns. No SDK
 * call: the URL carries its own signature (and is therefore never logged).
 */
import { errorCode, ImageFactsUnavailableError, RegistryUnavailableError } from './errors.ts';

export interface BlobDownload {
  readonly fetch: typeof fetch;
  /** Largest blob accepted, whatever size the manifest declares. */
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/**
 * The blob's bytes, at most min(`maxBytes`, `expectedSize`). HTTP 403/408/429/5xx and transport failures are
 * retryable (RegistryUnavailableError); other statuses and oversize blobs are ImageFactsUnavailableError.
 *
 * @example
 *   const bytes = await downloadBlob({ fetch, maxBytes: 4 << 20, timeoutMs: 10_000 }, url, config.size, context);
 */
export async function downloadBlob(
  options: BlobDownload,
  url: string,
  expectedSize: number,
  context: string,
): Promise<Buffer> {
  const operation = 'DownloadConfig';
  const limit = Math.min(options.maxBytes, Math.max(expectedSize, 0));
  let response: Response;
  try {
    response = await options.fetch(url, {
      redirect: 'follow',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw unavailable(operation, context, error);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const retryable =
      response.status === 403 || response.status === 408 || response.status === 429 || response.status >= 500;
    const message = `${context}: HTTP ${response.status}`;
    throw retryable
      ? new RegistryUnavailableError(operation, `HTTP${response.status}`, message)
      : new ImageFactsUnavailableError(operation, `HTTP${response.status}`, message);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new ImageFactsUnavailableError(
      operation,
      'ConfigTooLarge',
      `${context}: content-length ${declared} > ${limit}`,
    );
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > limit) {
          throw new ImageFactsUnavailableError(
            operation,
            'ConfigTooLarge',
            `${context}: more than ${limit} bytes`,
          );
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (error) {
    if (error instanceof ImageFactsUnavailableError) {
      await response.body?.cancel().catch(() => undefined);
      throw error;
    }
    throw unavailable(operation, context, error);
  }
  return Buffer.concat(chunks);
}

/** A transport failure (retryable), carrying the original error. */
function unavailable(operation: string, context: string, error: unknown): RegistryUnavailableError {
  return new RegistryUnavailableError(
    operation,
    errorCode(error),
    `${context}: ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}
