/**
 * `--output json`: exactly the Decision contract (DESIGN.md), one object, keys in the contract's order so
 * the bytes are the same for the same inputs whatever order the engine built the object in.
 */
import type { Decision } from '../../policy/decision.ts';

const DECISION_KEYS = ['verdict', 'image', 'policy', 'summary', 'violations', 'waived', 'reason', 'atRisk'];
const ORDER: Readonly<Record<string, readonly string[]>> = {
  image: ['repository', 'tags', 'digest'],
  policy: ['name', 'file', 'version', 'mode'],
  violation: ['rule', 'findingId', 'severity', 'package', 'message', 'kev', 'deadline', 'deadlineExpired'],
  waived: ['findingId', 'package', 'exception'],
  exception: ['id', 'file', 'reason', 'owner', 'expires', 'ticket'],
};

export function renderJson(decision: Decision): string {
  const d = decision as unknown as Record<string, unknown>;
  const out = ordered(d, DECISION_KEYS);
  out.image = ordered(d.image, ORDER.image);
  out.policy = ordered(d.policy, ORDER.policy);
  out.violations = (decision.violations as readonly unknown[]).map((v) => ordered(v, ORDER.violation));
  out.waived = (decision.waived as readonly unknown[]).map((w) => {
    const o = ordered(w, ORDER.waived);
    o.exception = ordered((w as Record<string, unknown>).exception, ORDER.exception);
    return o;
  });
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Known keys first in the given order, then any others (additive fields) sorted. */
function ordered(value: unknown, keys: readonly string[] | undefined): Record<string, unknown> {
  const source = (value ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of keys ?? [])
    if (Object.hasOwn(source, key) && source[key] !== undefined) out[key] = source[key];
  for (const key of Object.keys(source).sort()) {
    if (!Object.hasOwn(out, key) && source[key] !== undefined) out[key] = source[key];
  }
  return out;
}
