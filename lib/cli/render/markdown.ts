/**
 * `--output markdown`: a pull-request comment: verdict headline, summary table, violations, waivers with
 * their expiry. Scanner text is escaped so it cannot break the tables or inject markup; long lists are cut
 * so the comment stays well under GitHub's 65,536-character limit.
 */
import {
  atRiskNote,
  deadlineNote,
  findingFor,
  imageLabel,
  kevMarker,
  kevOf,
  type RenderContext,
  skippedRulesNote,
} from './context.ts';

const MAX_ROWS = 50;

export function renderMarkdown(ctx: RenderContext): string {
  const d = ctx.decision;
  const out: string[] = [];
  const icon = d.verdict === 'approved' ? '✅' : '❌';
  const verdict = d.verdict === 'approved' ? 'Approved' : 'Quarantined';
  const audit = d.policy.mode === 'audit' ? ' (audit mode: recorded, not enforced)' : '';
  out.push(`### ${icon} ${verdict}: \`${code(imageLabel(d))}\`${audit}`, '');
  out.push(
    `Policy **${cell(d.policy.name)}** (\`${code(d.policy.file)}\`, ${d.policy.mode}) · version \`${code(d.policy.version)}\``,
  );
  if (d.image.digest) out.push(`Digest \`${code(d.image.digest)}\``);
  if (d.reason) out.push('', `> ${cell(d.reason)}`);
  const risk = atRiskNote(d);
  if (risk !== null) out.push('', `> [!WARNING]\n> ${cell(risk)}`);
  const skipped = skippedRulesNote(ctx.skippedRules);
  if (skipped !== null) out.push('', `> [!WARNING]\n> ${cell(skipped)}`);
  out.push('');
  const severities = Object.keys(d.summary);
  out.push(`| ${severities.join(' | ')} |`, `|${severities.map(() => '---:').join('|')}|`);
  out.push(`| ${severities.map((s) => String(d.summary[s])).join(' | ')} |`, '');

  out.push(`#### Violations (${d.violations.length})`, '');
  if (d.violations.length === 0) out.push('None.', '');
  else {
    out.push('| Severity | Finding | Package | Fixed in | Rule | Message |', '|---|---|---|---|---|---|');
    for (const v of d.violations.slice(0, MAX_ROWS)) {
      const f = findingFor(ctx.findings, v);
      const id =
        v.findingId === null
          ? '—'
          : f?.url
            ? `[${cell(v.findingId)}](${url(f.url)})`
            : `\`${code(v.findingId)}\``;
      const pkg =
        v.package === null ? '—' : `\`${code(f?.version ? `${v.package} ${f.version}` : v.package)}\``;
      const kev = kevOf(v, f);
      const marker = kev ? ` **${cell(kevMarker(kev))}**` : '';
      const deadline = deadlineNote(v);
      const message = deadline === null ? v.message : `${v.message} (${deadline})`;
      const fix = f?.fixedIn ? `\`${code(f.fixedIn)}\`` : f?.fixAvailable === 'NO' ? 'no fix' : '—';
      out.push(
        `| ${v.severity ?? '—'} | ${id}${marker} | ${pkg} | ${fix} | \`${code(v.rule)}\` | ${cell(message)} |`,
      );
    }
    if (d.violations.length > MAX_ROWS) out.push('', `…and ${d.violations.length - MAX_ROWS} more.`);
    out.push('');
  }

  out.push(`#### Waivers (${d.waived.length})`, '');
  if (d.waived.length === 0) out.push('None.', '');
  else {
    out.push('| Finding | Package | Exception | Owner | Expires | Reason |', '|---|---|---|---|---|---|');
    for (const w of d.waived.slice(0, MAX_ROWS)) {
      const e = w.exception;
      const ticket = e.ticket ? ` (${cell(e.ticket)})` : '';
      out.push(
        `| \`${code(w.findingId)}\` | ${w.package === null ? '—' : `\`${code(w.package)}\``} | \`${code(e.id)}\` in \`${code(e.file)}\` | ${cell(e.owner)} | ${e.expires} | ${cell(e.reason)}${ticket} |`,
      );
    }
    if (d.waived.length > MAX_ROWS) out.push('', `…and ${d.waived.length - MAX_ROWS} more.`);
    out.push('');
  }
  out.push(`<sub>gatekeeper ${ctx.toolVersion} · findings from \`${code(ctx.findingsFile)}\`</sub>`);
  return `${out.join('\n')}\n`;
}

/** Text in a table cell or a line: one line, markdown and HTML escaped, cut at 300 characters. */
export function cell(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const cut = flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
  return cut.replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`);
}

/** Text inside backticks: no backticks or pipes inside, one line. */
export function code(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/`/g, "'")
      .replace(/\|/g, '¦')
      .slice(0, 200)
  );
}

/** Only http(s) links, with characters that would end the link escaped. */
function url(link: string): string {
  return /^https?:\/\//i.test(link) ? link.replace(/[()<>\s|]/g, encodeURIComponent) : '#';
}
