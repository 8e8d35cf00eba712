import type { Finding } from '../../findings/finding.ts';
import type { Decision, Violation } from '../../policy/decision.ts';

/** Everything a renderer may show: the decision (the contract) plus the findings it was made from. */
export interface RenderContext {
  readonly decision: Decision;
  readonly findings: readonly Finding[];
  /** The findings file as the user named it. */
  readonly findingsFile: string;
  /** Records the reader left out, e.g. `{ "status CLOSED": 1 }`. */
  readonly excluded: Readonly<Record<string, number>>;
  readonly toolVersion: string;
}

/** `repo:tag1, tag2` or `repo@sha256:…` (short) for headlines. */
export function imageLabel(decision: Decision): string {
  const { repository, tags, digest } = decision.image;
  if (tags.length > 0) return `${repository}:${tags.join(', ')}`;
  if (digest) return `${repository}@${digest.slice(0, 19)}…`;
  return repository;
}

/** The finding a violation is about (first with the same id and package), for scores, fixes and links. */
export function findingFor(
  findings: readonly Finding[],
  v: Pick<Violation, 'findingId' | 'package'>,
): Finding | null {
  if (v.findingId === null) return null;
  let sameId: Finding | null = null;
  for (const f of findings) {
    if (f.id !== v.findingId) continue;
    if (f.package === v.package) return f;
    sameId ??= f;
  }
  return sameId;
}
