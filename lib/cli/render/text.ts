/**
 * `--output text`: a readable report for people. ANSI colour and cutting cells to the terminal width happen only
 * when the caller says so (a TTY); written to a file or a pipe, every message is printed in full.
 */
import { type Finding, SEVERITIES } from '../../findings/finding.ts';
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

export interface TextOptions {
  /** ANSI colour (a TTY without NO_COLOR). */
  readonly colour: boolean;
  /** Terminal width to fit table rows to; null prints cells in full (not a terminal). */
  readonly width: number | null;
}

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
/** On a terminal, columns before the last are cut to this many characters; the last takes what is left. */
const MAX_CELL_ON_TTY = 40;
const MIN_LAST_CELL_ON_TTY = 20;

export function renderText(ctx: RenderContext, options: TextOptions): string {
  const { colour, width } = options;
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
  const risk = atRiskNote(d);
  if (risk !== null) lines.push(`at risk   ${paint('MEDIUM', risk.replace(/^at risk: /, ''))}`);
  const summary = Object.entries(d.summary)
    .map(([s, n]) => (n > 0 ? paint(s, `${s} ${n}`) : `${s} ${n}`))
    .join('  ');
  lines.push(`findings  ${summary}  (from ${ctx.findingsFile})`);
  const excluded = Object.entries(ctx.excluded);
  if (excluded.length > 0) lines.push(`excluded  ${excluded.map(([why, n]) => `${n} × ${why}`).join(', ')}`);
  const skipped = skippedRulesNote(ctx.skippedRules);
  if (skipped !== null) lines.push(`note      ${paint('MEDIUM', skipped)}`);

  lines.push('', `Violations (${d.violations.length})`);
  if (d.violations.length === 0) lines.push('  none');
  else {
    const rows = d.violations.slice(0, MAX_ROWS).map((v) => {
      const f = findingFor(ctx.findings, v);
      const kev = kevOf(v, f);
      const id = v.findingId === null ? '-' : kev ? `${v.findingId} [${kevMarker(kev)}]` : v.findingId;
      const deadline = deadlineNote(v);
      const message = deadline === null ? v.message : `${v.message} (${deadline})`;
      return [v.severity ?? '-', id, pkg(v.package, f), fix(f), v.rule, message];
    });
    lines.push(
      ...table(
        ['SEVERITY', 'FINDING', 'PACKAGE', 'FIXED IN', 'RULE', 'MESSAGE'],
        rows,
        colour ? paint : null,
        width,
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
    lines.push(
      ...table(['FINDING', 'PACKAGE', 'EXCEPTION', 'OWNER', 'EXPIRES', 'REASON'], rows, null, width),
    );
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

/**
 * Left-aligned columns; the last column is not padded. Without a width every cell is printed in full; with one
 * (a terminal) the leading cells are capped and the last is cut so the row fits the width.
 */
function table(
  header: string[],
  rows: string[][],
  paint: ((key: string, text: string) => string) | null,
  width: number | null,
): string[] {
  const last = header.length - 1;
  const clean = rows.map((row) =>
    row.map((cell, i) => {
      const flat = oneLine(cell);
      return width !== null && i < last ? cut(flat, MAX_CELL_ON_TTY) : flat;
    }),
  );
  const widths = header.map((h, i) =>
    i === last ? 0 : Math.max(h.length, ...clean.map((r) => (r[i] ?? '').length)),
  );
  if (width !== null) {
    // Two spaces of indent, two between columns.
    const used = 2 + widths.slice(0, last).reduce((n, w) => n + w + 2, 0);
    const room = Math.max(width - used, MIN_LAST_CELL_ON_TTY);
    for (const row of clean) row[last] = cut(row[last] ?? '', room);
  }
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
  const lines = [format(header, false), ...clean.map((r) => format(r, true))];
  // Leading columns wider than the terminal: cut the whole row rather than wrap it.
  return width === null
    ? lines
    : lines.map((line) => (visibleLength(line) > width ? cutVisible(line, width) : line));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences are what is measured here
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(line: string): number {
  return line.replace(ANSI, '').length;
}

/** Cuts a row to `max` visible characters; colour is only ever on the first cell, so it is dropped with a reset. */
function cutVisible(line: string, max: number): string {
  const plain = line.replace(ANSI, '');
  const cutLine = cut(plain, max);
  return line === plain ? cutLine : `${cutLine}${RESET}`;
}

/** Control characters from scanner data must not move the cursor or recolour the terminal. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
