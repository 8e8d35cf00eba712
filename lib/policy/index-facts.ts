/**
 * How a multi-arch image (a manifest list or OCI index) is judged on image rules: by the least favourable facts
 * of its runnable children, so that no platform a client may pull is judged better than it is. Policy semantics,
 * not fetching: the registry adapter reads each child's facts and hands them here.
 */
import type { ImageFacts } from './decision.ts';

/**
 * An index's facts from its children's: the largest size (as ECR reports an index) when every child's is known,
 * the shared user or '' (root) when children differ, only the labels every child carries with the same value.
 * No children → no facts (`{}`).
 *
 * @example
 *   indexFacts([{ user: 'app', sizeBytes: 10 }, { user: 'root', sizeBytes: 20 }]); // { user: '', labels: {}, sizeBytes: 20 }
 */
export function indexFacts(children: readonly ImageFacts[]): ImageFacts {
  if (children.length === 0) return {};
  const sizes = children.map((c) => c.sizeBytes);
  const users = new Set(children.map((c) => c.user ?? ''));
  const labelSets = children.map((c) => c.labels ?? {});
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(labelSets[0] ?? {})) {
    if (labelSets.every((set) => set[key] === value)) labels[key] = value;
  }
  const facts: { sizeBytes?: number; user: string; labels: Record<string, string> } = {
    user: users.size === 1 ? ([...users][0] ?? '') : '',
    labels,
  };
  if (sizes.every((s) => s !== undefined)) facts.sizeBytes = Math.max(...(sizes as number[]));
  return facts;
}
