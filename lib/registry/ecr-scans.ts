/**
 * The ECR adapter's scan layer: reading scan findings (every DescribeImageScanFindings page, checked to be about
 * one image and one scan before they are merged), starting a scan, and the registry's scanning configuration.
 */
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  DescribeRepositoriesCommand,
  GetRegistryScanningConfigurationCommand,
  type GetRegistryScanningConfigurationCommandOutput,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { PageTokens } from '../aws/paginate.ts';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import { findingsFromEcrResponse } from '../findings/index.ts';
import { EcrAdapter, IMAGE_GONE } from './ecr-adapter.ts';
import { toIso } from './ecr-responses.ts';
import {
  errorCode,
  RegistryRejectedError,
  RegistryUnavailableError,
  ScanQuotaExceededError,
  toRegistryError,
} from './errors.ts';
import {
  type RepositoryScanning,
  SCAN_STATUSES,
  type ScanResult,
  type ScanStatus,
  type StartScanOutcome,
} from './registry.ts';
import {
  needsRepositoryScanOnPush,
  type RegistryScanningConfiguration,
  resolveRepositoryScanning,
  type ScanFrequency,
} from './scanning.ts';

type MiddlewareStack = StartImageScanCommand['middlewareStack'];
type RelativeMiddleware = Parameters<MiddlewareStack['addRelativeTo']>[0];

/**
 * Runs inside the SDK's retry loop (after `retryMiddleware`) for StartImageScan only. LimitExceeded there
 * means "one scan per image per 24 hours", which no retry can fix, yet the SDK classifies it as throttling.
 * Re-throwing it as ScanQuotaExceededError (no HTTP metadata, not a throttling name) makes the retry
 * strategy give up after the first attempt, whatever maxAttempts/retryMode the client has.
 */
const noRetryOnScanLimit = ((next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
  try {
    return await next(args);
  } catch (error) {
    if (errorCode(error) === 'LimitExceededException') {
      throw new ScanQuotaExceededError(`StartImageScan: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}) as unknown as RelativeMiddleware;

/**
 * Why a DescribeImageScanFindings page cannot be merged with the first one, or null. Every page must be about
 * the digest asked for (and the registry and repository, when the page names them) and report the first page's
 * scan status and, where both carry one, its completion time: a scan that finished again between two pages,
 * or a page about another image, would otherwise mix two results into one verdict.
 */
function pageDisagreement(
  ref: ImageRef,
  first: DescribeImageScanFindingsCommandOutput,
  page: DescribeImageScanFindingsCommandOutput,
): string | null {
  const digest = page.imageId?.imageDigest;
  if (digest !== ref.digest)
    return `is about digest ${JSON.stringify(digest ?? null)}, not the one asked for`;
  if (page.registryId !== undefined && page.registryId !== ref.registryId)
    return `is about registry ${JSON.stringify(page.registryId)}, not ${ref.registryId}`;
  if (page.repositoryName !== undefined && page.repositoryName !== ref.repository)
    return `is about repository ${JSON.stringify(page.repositoryName)}, not ${ref.repository}`;
  const status = page.imageScanStatus?.status;
  const firstStatus = first.imageScanStatus?.status;
  if (status !== firstStatus)
    return `has scan status ${JSON.stringify(status ?? null)}, page 1 had ${JSON.stringify(firstStatus ?? null)}`;
  const completed = toIso(page.imageScanFindings?.imageScanCompletedAt);
  const firstCompleted = toIso(first.imageScanFindings?.imageScanCompletedAt);
  if (completed && firstCompleted && completed !== firstCompleted)
    return `is of a scan completed at ${completed}, page 1 at ${firstCompleted}`;
  return null;
}

/** A DescribeImageScanFindings page without its findings lists: status, identity, counts and times only. */
function pageHeader(page: DescribeImageScanFindingsCommandOutput): DescribeImageScanFindingsCommandOutput {
  const summary = page.imageScanFindings;
  if (summary === undefined) return page;
  const { findings: _basic, enhancedFindings: _enhanced, ...header } = summary;
  return { ...page, imageScanFindings: header };
}

/** Scan findings, scan starts and scanning configuration over ECR (the first layer above EcrAdapter). */
export abstract class EcrScans extends EcrAdapter {
  /**
   * Every page of DescribeImageScanFindings (until `nextToken` is absent), basic and enhanced shapes.
   * ImageNotFound / RepositoryNotFound → null. ScanNotFound → status PENDING with `scanNotFound: true`
   * (not ready: no verdict). An empty COMPLETE/ACTIVE result is returned as is; the gate decides whether
   * it is "not ready yet" (right after an enhanced scan-on-push) using `severityCounts === null`.
   */
  async getScanResult(ref: ImageRef): Promise<ScanResult | null> {
    const operation = 'DescribeImageScanFindings';
    const findings: Finding[] = [];
    const tokens = new PageTokens(this.maxFindingsPages);
    let nextToken: string | undefined;
    let first: DescribeImageScanFindingsCommandOutput | undefined;
    let enhanced = false;
    let pages = 0;
    do {
      let page: DescribeImageScanFindingsCommandOutput;
      try {
        page = await this.client.send(
          new DescribeImageScanFindingsCommand({
            registryId: ref.registryId,
            repositoryName: ref.repository,
            imageId: { imageDigest: ref.digest },
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
      } catch (error) {
        const code = errorCode(error);
        if (IMAGE_GONE.has(code)) return this.gone(operation, ref, code);
        if (code === 'ScanNotFoundException') return scanNotFound(error);
        throw toRegistryError(error, operation, imageKey(ref));
      }
      // Only the first page's header is kept (later pages are checked against it): its findings are read below.
      first ??= pageHeader(page);
      pages++;
      const disagreement = pageDisagreement(ref, first, page);
      if (disagreement) {
        // A page about another image or another scan cannot be merged with the rest: the read is unusable.
        throw new RegistryUnavailableError(
          operation,
          'InconsistentFindingsPages',
          `${imageKey(ref)}: page ${pages} ${disagreement}; its findings were not merged`,
        );
      }
      if (page.imageScanFindings?.enhancedFindings !== undefined) enhanced = true;
      try {
        // Without titles and descriptions: a decision reads neither, and 50,000 of them weigh tens of MB.
        findings.push(
          ...findingsFromEcrResponse(page, `${operation} ${imageKey(ref)} page ${pages}`, {
            withoutReportText: true,
          }),
        );
      } catch (error) {
        throw new RegistryRejectedError(
          operation,
          'InvalidResponse',
          `${imageKey(ref)}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      try {
        nextToken = tokens.next(page.nextToken);
      } catch (error) {
        // The one pagination rule (lib/aws/paginate.ts): a repeated token retryable, too many pages final.
        throw toRegistryError(error, operation, imageKey(ref));
      }
    } while (nextToken !== undefined);

    const status = first.imageScanStatus?.status;
    if (!isScanStatus(status)) {
      throw new RegistryRejectedError(
        operation,
        'UnknownScanStatus',
        `${imageKey(ref)}: imageScanStatus.status ${JSON.stringify(status ?? null)} is not a known ECR scan status`,
      );
    }
    const summary = first.imageScanFindings;
    return {
      status,
      description: first.imageScanStatus?.description ?? null,
      findings,
      severityCounts: summary?.findingSeverityCounts ? { ...summary.findingSeverityCounts } : null,
      enhanced,
      completedAt: toIso(summary?.imageScanCompletedAt),
    };
  }
  /**
   * StartImageScan. LimitExceeded (one scan per image per 24 h, or the daily basic-scan quota) is final:
   * 'limit-exceeded' after ONE attempt (see {@link noRetryOnScanLimit}). UnsupportedImageType →
   * 'unsupported', ImageArchived → 'archived', image/repository gone → 'gone'.
   */
  async startScan(ref: ImageRef): Promise<StartScanOutcome> {
    const operation = 'StartImageScan';
    const command = new StartImageScanCommand({
      registryId: ref.registryId,
      repositoryName: ref.repository,
      imageId: { imageDigest: ref.digest },
    });
    command.middlewareStack.addRelativeTo(noRetryOnScanLimit, {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name: 'gatekeeperNoRetryOnScanLimit',
    });
    try {
      await this.client.send(command);
      return 'started';
    } catch (error) {
      const code = errorCode(error);
      if (error instanceof ScanQuotaExceededError || code === 'LimitExceededException')
        return 'limit-exceeded';
      if (code === 'UnsupportedImageTypeException') return 'unsupported';
      if (code === 'ImageArchivedException') return 'archived';
      if (IMAGE_GONE.has(code)) return this.gone(operation, ref, code) ?? 'gone';
      throw toRegistryError(error, operation, imageKey(ref));
    }
  }

  async getRepositoryScanning(repository: string): Promise<RepositoryScanning> {
    const config = await this.getRegistryScanning();
    if (!needsRepositoryScanOnPush(config, repository))
      return resolveRepositoryScanning(config, repository, null);
    const operation = 'DescribeRepositories';
    try {
      const output = await this.client.send(
        new DescribeRepositoriesCommand({ ...this.scope(), repositoryNames: [repository] }),
      );
      const scanOnPush = output.repositories?.[0]?.imageScanningConfiguration?.scanOnPush ?? false;
      return resolveRepositoryScanning(config, repository, scanOnPush);
    } catch (error) {
      if (errorCode(error) === 'RepositoryNotFoundException')
        return resolveRepositoryScanning(config, repository, false);
      throw toRegistryError(error, operation, repository);
    }
  }
  async getRegistryScanning(): Promise<RegistryScanningConfiguration> {
    const operation = 'GetRegistryScanningConfiguration';
    let output: GetRegistryScanningConfigurationCommandOutput;
    try {
      output = await this.client.send(new GetRegistryScanningConfigurationCommand({}));
    } catch (error) {
      throw toRegistryError(error, operation, 'registry scanning configuration');
    }
    const config = output.scanningConfiguration;
    const scanType = config?.scanType ?? 'BASIC';
    if (scanType !== 'BASIC' && scanType !== 'ENHANCED') {
      throw new RegistryRejectedError(
        operation,
        'InvalidResponse',
        `unknown scanType ${JSON.stringify(scanType)}`,
      );
    }
    const rules = (config?.rules ?? []).map((rule) => {
      const frequency = rule.scanFrequency as ScanFrequency | undefined;
      if (frequency !== 'SCAN_ON_PUSH' && frequency !== 'CONTINUOUS_SCAN' && frequency !== 'MANUAL') {
        throw new RegistryRejectedError(
          operation,
          'InvalidResponse',
          `unknown scanFrequency ${JSON.stringify(frequency)}`,
        );
      }
      const filters = (rule.repositoryFilters ?? [])
        .filter((f) => f.filterType === 'WILDCARD' && typeof f.filter === 'string')
        .map((f) => ({ filter: f.filter as string, filterType: 'WILDCARD' as const }));
      return { scanFrequency: frequency, filters };
    });
    return { scanType, rules };
  }
}

function scanNotFound(error: unknown): ScanResult {
  return {
    status: 'PENDING',
    description: `ScanNotFound: ${(error as Error).message}`,
    findings: [],
    severityCounts: null,
    enhanced: false,
    completedAt: null,
    scanNotFound: true,
  };
}
function isScanStatus(value: unknown): value is ScanStatus {
  return typeof value === 'string' && (SCAN_STATUSES as readonly string[]).includes(value);
}
