/**
 * `gatekeeper policy impact` outputs: text for people, json (the whole report) for machines, markdown for the
 * pull-request comment (a summary table, then one collapsible list per repository, cut so the comment stays well
 * under GitHub's 65,536-character limit and says how much was left out).
 */
import type { ImpactFlip, ImpactViolation, PolicyImpact, RepositoryImpact } from '../policy-impact.ts';
import { cell, code } from './markdown.ts';

/** Markdown caps: repositories in the table, repositories with a list, images per list, characters overall. */
export const MARKDOWN_LIMITS = {
  tableRepositories: 50,
  listedRepositories: 30,
  flipsPerRepository: 25,
  characters: 60_000,
} as const;

/** Text output: image lines per repository before "… and N more". */
const TEXT_FLIPS_PER_REPOSITORY = 50;

const number = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;
const shortVersion = (v: string) => (v.startsWith('sha256:') ? `${v.slice(0, 19)}…` : v);
const shortDigest = (d: string) => (d.startsWith('sha256:') ? d.slice(0, 19) : d);

/** `2 → quarantined, 1 → approved` (only the non-zero parts). */
function directions(r: { toQuarantined: number; toApproved: number }): string {
  const parts: string[] = [];
  if (r.toQuarantined > 0) parts.push(`${number(r.toQuarantined)} → quarantined`);
  if (r.toApproved > 0) parts.push(`${number(r.toApproved)} → approved`);
  return parts.join(', ');
}

function headline(impact: PolicyImpact): string {
  const s = impact.summary;
  if (impact.base.version === impact.head.version)
    return `no image would change verdict: base and head are the same policy set (${shortVersion(impact.head.version)})`;
  if (s.flipped === 0) return `no image would change verdict (${plural(s.images, 'image')} judged)`;
  return `${number(s.flipped)} of ${plural(s.images, 'image')} would change verdict (${directions(s)}) in ${plural(impact.repositories.length, 'repository', 'repositories')}`;
}

function notes(impact: PolicyImpact): string[] {
  const s = impact.summary;
  const out: string[] = [];
  if (s.violationsChanged > 0)
    out.push(`${plural(s.violationsChanged, 'image')} keep their verdict with different violations`);
  if (s.withoutFacts > 0)
    out.push(
      `${plural(s.withoutFacts, 'image')} have no image facts in the snapshot: runsAsRoot, requiredLabels and maxSizeBytes were not checked for them on either side`,
    );
  if (s.recordedDiffers > 0)
    out.push(
      `${plural(s.recordedDiffers, 'image')} carry a recorded verdict that differs from the base judgement (decided under another policy version, or findings changed since)`,
    );
  return out;
}

function violationText(v: ImpactViolation): string {
  const what = [v.findingId, v.package].filter((x) => x !== null).join(' in ');
  return what === '' ? v.rule : `${v.rule} (${what})`;
}

/** What made one image flip, in one line: the differing violations, or the mode switch. */
function because(flip: ImpactFlip): string {
  const shown = flip.to === 'quarantined' ? flip.added : flip.removed;
  const total = flip.to === 'quarantined' ? flip.addedTotal : flip.removedTotal;
  const parts: string[] = [];
  if (flip.policy.base !== flip.policy.head) parts.push(`policy ${flip.policy.base} → ${flip.policy.head}`);
  if (flip.mode.base !== flip.mode.head) parts.push(`mode ${flip.mode.base} → ${flip.mode.head}`);
  if (total > 0) {
    const listed = shown.slice(0, 3).map(violationText).join(', ');
    parts.push(
      `${flip.to === 'quarantined' ? 'new' : 'gone'}: ${listed}${total > 3 ? ` and ${total - 3} more` : ''}`,
    );
  } else {
    // Same violations on both sides: the mode or the governing policy decided; name the rules it now enforces.
    parts.push(`rules: ${flip.rules.join(', ')}`);
  }
  return parts.join('; ');
}

function usage(flip: ImpactFlip): string {
  if (flip.running === true) return 'running';
  if (flip.lastPulledAt !== null) return `pulled ${flip.lastPulledAt.slice(0, 10)}`;
  return '';
}

function tagsOf(flip: ImpactFlip): string {
  return flip.tags.length === 0 ? '(untagged)' : flip.tags.join(', ');
}

function rulesSummary(r: RepositoryImpact, max = 5): string {
  const entries = Object.entries(r.rules);
  const shown = entries.slice(0, max).map(([rule, n]) => `${rule} ×${n}`);
  return entries.length > max ? `${shown.join(', ')}, …` : shown.join(', ');
}

/**
 * The report for a terminal or a log.
 * @example io.stdout.write(renderImpactText(impact))
 */
export function renderImpactText(impact: PolicyImpact): string {
  const out: string[] = [`policy impact: ${headline(impact)}`];
  out.push(`base      ${impact.base.source} (${shortVersion(impact.base.version)})`);
  out.push(`head      ${impact.head.source} (${shortVersion(impact.head.version)})`);
  out.push(
    `snapshot  ${impact.snapshot.file} (taken ${impact.snapshot.takenAt} by ${impact.snapshot.source}, ${plural(impact.snapshot.images, 'image')}); judged as of ${impact.now}`,
  );
  for (const r of impact.repositories) {
    out.push('', `${r.repository}: ${directions(r)} of ${plural(r.images, 'image')} — ${rulesSummary(r)}`);
    for (const flip of r.flips.slice(0, TEXT_FLIPS_PER_REPOSITORY)) {
      const use = usage(flip);
      out.push(
        `  → ${flip.to.padEnd(11)} ${shortDigest(flip.digest)}  ${tagsOf(flip)}${use === '' ? '' : ` [${use}]`}  ${because(flip)}`,
      );
    }
    if (r.flips.length > TEXT_FLIPS_PER_REPOSITORY)
      out.push(
        `  … and ${plural(r.flips.length - TEXT_FLIPS_PER_REPOSITORY, 'more image')} (--output json lists all)`,
      );
  }
  const n = notes(impact);
  if (n.length > 0) out.push('', ...n.map((line) => `note: ${line}`));
  return `${out.join('\n')}\n`;
}

/**
 * The whole report as one JSON object (`format: gatekeeper-policy-impact/v1`), every flip included.
 * @example JSON.parse(renderImpactJson(impact)).summary.toQuarantined
 */
export function renderImpactJson(impact: PolicyImpact): string {
  return `${JSON.stringify(impact, null, 2)}\n`;
}

function markdownFlipRow(flip: ImpactFlip): string {
  const change = flip.to === 'quarantined' ? 'approved → **quarantined**' : 'quarantined → **approved**';
  const tags =
    flip.tags.length === 0
      ? '_untagged_'
      : flip.tags
          .slice(0, 5)
          .map((t) => `\`${code(t)}\``)
          .join(' ');
  const more = flip.tags.length > 5 ? ` +${flip.tags.length - 5}` : '';
  const use = usage(flip);
  return `| ${change} | \`${code(shortDigest(flip.digest))}\` | ${tags}${more} | ${cell(use || '—')} | ${cell(because(flip))} |`;
}

function markdownRepository(r: RepositoryImpact): string {
  const lines = [
    `<details><summary><code>${code(r.repository).replace(/[<>&]/g, '')}</code>: ${directions(r)} of ${plural(r.images, 'image')}</summary>`,
    '',
    '| change | digest | tags | in use | why |',
    '|---|---|---|---|---|',
    ...r.flips.slice(0, MARKDOWN_LIMITS.flipsPerRepository).map(markdownFlipRow),
  ];
  if (r.flips.length > MARKDOWN_LIMITS.flipsPerRepository)
    lines.push('', `…and ${plural(r.flips.length - MARKDOWN_LIMITS.flipsPerRepository, 'more image')}.`);
  lines.push('', '</details>');
  return lines.join('\n');
}

/**
 * The pull-request comment: headline, summary table by repository, then a collapsible list per repository.
 * Capped by {@link MARKDOWN_LIMITS}; whatever is cut is counted ("…and N more repositories").
 * @example writeFileSync('impact.md', renderImpactMarkdown(impact))
 */
export function renderImpactMarkdown(impact: PolicyImpact): string {
  const s = impact.summary;
  const icon = s.flipped === 0 ? '✅' : s.toQuarantined > 0 ? '⚠️' : 'ℹ️';
  const out: string[] = [`### ${icon} Policy impact: ${cell(headline(impact))}`, ''];
  out.push(
    `Base \`${code(impact.base.source)}\` (\`${code(shortVersion(impact.base.version))}\`) → head \`${code(impact.head.source)}\` (\`${code(shortVersion(impact.head.version))}\`), over the registry snapshot taken ${cell(impact.snapshot.takenAt)} (${cell(impact.snapshot.source)}, ${plural(impact.snapshot.images, 'image')}), judged as of ${cell(impact.now)}.`,
  );
  const n = notes(impact);
  if (n.length > 0) out.push('', ...n.map((line) => `> ${cell(line)}  `));
  if (impact.repositories.length > 0) {
    out.push(
      '',
      '| repository | images | → quarantined | → approved | rules responsible |',
      '|---|---:|---:|---:|---|',
    );
    for (const r of impact.repositories.slice(0, MARKDOWN_LIMITS.tableRepositories)) {
      out.push(
        `| \`${code(r.repository)}\` | ${number(r.images)} | ${number(r.toQuarantined)} | ${number(r.toApproved)} | ${cell(rulesSummary(r))} |`,
      );
    }
    const beyond = impact.repositories.length - MARKDOWN_LIMITS.tableRepositories;
    if (beyond > 0) out.push('', `…and ${plural(beyond, 'more repository', 'more repositories')}.`);
    out.push('');
    let length = out.join('\n').length;
    let listed = 0;
    for (const r of impact.repositories.slice(0, MARKDOWN_LIMITS.listedRepositories)) {
      const block = markdownRepository(r);
      // Room is kept for the closing line.
      if (length + block.length + 200 > MARKDOWN_LIMITS.characters) break;
      out.push(block, '');
      length += block.length + 2;
      listed += 1;
    }
    const unlisted = impact.repositories.length - listed;
    if (unlisted > 0)
      out.push(
        `…and ${plural(unlisted, 'more repository', 'more repositories')} not listed here; \`gatekeeper policy impact --output json\` lists every image.`,
      );
  }
  return `${out.join('\n').trimEnd()}\n`;
}
