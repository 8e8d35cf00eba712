/** `--output text`: a readable report for people; ANSI colour only when the caller says so (TTY, no NO_COLOR). */
import { type Finding, SEVERITIES } from '../../findings/finding.ts';
import { findingFor, imageLabel, type RenderContext } from './context.ts';

const RESET = '\u001b[0m';
const COLOURS: Readonly<Record<string, string>> = {
  approved: '\u001b[1;32m',
  quarantined: '\u001b[1;31m',
  CRITICAL: '\u001b[1;31m',
  HIGH: '\u001b[31m',
  MEDIUM: '\u001b[33m',
  LOW: '\u001b[36m',
  dim: '\u001b[2m',
};
const MAX_ROWS = 200;

export function renderText(ctx: RenderContext, colour: boolean): string {
  const paint = (key: string, text: string): string =>
    colour && COLOURS[key] ? `${COLOURS[key]}${text}${RESET}` : text;
  const d = ctx.decision;
  const lines: string[] = [];
  const audit = d.policy.mode === 'audit' ? ' (audit mode: recorded, not enforced)' : '';
  lines.push(`${paint(d.verdict, d.verdict.toUpperCase())}  ${imageLabel(d)}${audit}`);
  if (d.image.digest) lines.push(`image     ${d.image.digest}`);
  lines.push(
    `policy    ${d.policy.name} (${d.policy.file}, ${d.policy.mode})  ${paint('dim', d.policy.version)}`,
  );
  if (d.reason) lines.push(`reason    ${d.reason}`);
  const summary = Object.entries(d.summary)
    .map(([s, n]) => (n > 0 ? paint(s, `${s} ${n}`) : `${s} ${n}`))
    .join('  ');
  lines.push(`findings  ${summary}  (from ${ctx.findingsFile})`);
  const excluded = Object.entries(ctx.excluded);
  if (excluded.length > 0) lines.push(`excluded  ${excluded.map(([why, n]) => `${n} × ${why}`).join(', ')}`);

  lines.push('', `Violations (${d.violations.length})`);
  if (d.violations.length === 0) lines.push('  none');
  else {
    const rows = d.violations.slice(0, MAX_ROWS).map((v) => {
      const f = findingFor(ctx.findings, v);
      return [v.severity ?? '-', v.findingId ?? '-', pkg(v.package, f), fix(f), v.rule, v.message];
    });
    lines.push(
      ...table(
        ['SEVERITY', 'FINDING', 'PACKAGE', 'FIXED IN', 'RULE', 'MESSAGE'],
        rows,
        colour ? paint : null,
      ),
    );
    if (d.violations.length > MAX_ROWS)
      lines.push(`  … and ${d.violations.length - MAX_ROWS} more (use --output json)`);
  }

  lines.push('', `Waived (${d.waived.length})`);
  if (d.waived.length === 0) lines.push('  none');
  else {
    const rows = d.waived
      .slice(0, MAX_ROWS)
      .map((w) => [
        w.findingId,
        w.package ?? '-',
        `${w.exception.id} (${w.exception.file})`,
        w.exception.owner,
        w.exception.expires,
        w.exception.reason,
      ]);
    lines.push(...table(['FINDING', 'PACKAGE', 'EXCEPTION', 'OWNER', 'EXPIRES', 'REASON'], rows, null));
    if (d.waived.length > MAX_ROWS)
      lines.push(`  … and ${d.waived.length - MAX_ROWS} more (use --output json)`);
  }
  return `${lines.join('\n')}\n`;
}

function pkg(name: string | null, f: Finding | null): string {
  if (name === null) return '-';
  return f?.version ? `${name} ${f.version}` : name;
}

function fix(f: Finding | null): string {
  if (f === null) return '-';
  if (f.fixedIn) return f.fixedIn;
  return f.fixAvailable === 'NO' ? 'no fix' : '-';
}

/** Left-aligned columns; the last column is not padded. Cells are cut to keep lines readable. */
function table(
  header: string[],
  rows: string[][],
  paint: ((key: string, text: string) => string) | null,
): string[] {
  const clean = rows.map((row) => row.map((cell) => oneLine(cell)));
  const widths = header.map((h, i) =>
    i === header.length - 1 ? 0 : Math.max(h.length, ...clean.map((r) => (r[i] ?? '').length)),
  );
  const format = (row: string[], painted: boolean): string =>
    `  ${row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return painted && i === 0 && paint && (SEVERITIES as readonly string[]).includes(cell)
          ? paint(cell, padded)
          : padded;
      })
      .join('  ')
      .trimEnd()}`;
  return [format(header, false), ...clean.map((r) => format(r, true))];
}

function oneLine(text: string): string {
  // Control characters from scanner data must not move the cursor or recolour the terminal.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}
