/**
 * Normalisation speed: 10,000 findings per input kind, parsed JSON in, Finding[] out.
 * Run: npx tsx bench/findings.ts [--quick]
 */
import { readFileSync } from 'node:fs';
import { parseFindings, severityCounts } from '../lib/findings/index.ts';
import { QUICK } from './support/measure.ts';

const N = QUICK ? 200 : 10_000;
const RUNS = QUICK ? 2 : 30;
const WARMUP = QUICK ? 1 : 10;

function load(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../test/fixtures/${path}`, import.meta.url), 'utf8'));
}

function enhancedPage(): unknown {
  const page = load('aws/ecr-describe-image-scan-findings-enhanced-active.json');
  const isf = page.imageScanFindings as { enhancedFindings: Record<string, unknown>[] };
  const template = isf.enhancedFindings[0] as { packageVulnerabilityDetails: Record<string, unknown> };
  isf.enhancedFindings = Array.from({ length: N }, (_, i) => ({
    ...template,
    packageVulnerabilityDetails: {
      ...template.packageVulnerabilityDetails,
      vulnerabilityId: `CVE-2024-${i}`,
    },
  }));
  return page;
}

function basicPage(): unknown {
  const page = load('aws/ecr-describe-image-scan-findings-basic.json');
  const isf = page.imageScanFindings as { findings: Record<string, unknown>[] };
  const template = isf.findings[0] as Record<string, unknown>;
  isf.findings = Array.from({ length: N }, (_, i) => ({ ...template, name: `CVE-2024-${i}` }));
  return page;
}

function trivyReport(): unknown {
  const report = load('scanners/trivy-image-debian12-ecr.json');
  const results = report.Results as { Vulnerabilities: Record<string, unknown>[] }[];
  const template = results[0]?.Vulnerabilities[1] as Record<string, unknown>;
  results[0] = {
    ...results[0],
    Vulnerabilities: Array.from({ length: N }, (_, i) => ({ ...template, VulnerabilityID: `CVE-2024-${i}` })),
  };
  return report;
}

function grypeReport(): unknown {
  const report = load('scanners/grype-image-debian12-ecr.json');
  const matches = report.matches as { vulnerability: Record<string, unknown> }[];
  const template = matches[0] as { vulnerability: Record<string, unknown> };
  report.matches = Array.from({ length: N }, (_, i) => ({
    ...template,
    vulnerability: { ...template.vulnerability, id: `CVE-2024-${i}` },
  }));
  return report;
}

for (const [name, input] of [
  ['ecr enhanced', enhancedPage()],
  ['ecr basic', basicPage()],
  ['trivy', trivyReport()],
  ['grype', grypeReport()],
] as const) {
  const times: number[] = [];
  let count = 0;
  // Warm-up: the CLI parses once per process, the Lambda once per event on a warm container.
  for (let run = 0; run < WARMUP; run++) parseFindings(input, 'bench.json', 'auto');
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    const report = parseFindings(input, 'bench.json', 'auto');
    count = severityCounts(report.findings).CRITICAL ?? 0;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(RUNS / 2)] ?? 0;
  console.log(
    `${name.padEnd(13)} ${N} findings: median ${median.toFixed(2)} ms, best ${(times[0] ?? 0).toFixed(2)} ms (${count})`,
  );
}
