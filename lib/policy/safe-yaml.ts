/**
 * YAML loading for files people edit (policies, exceptions, hygiene baseline, test cases). Only the plain
 * YAML 1.2 core schema is accepted: no custom tags, no merge keys, no duplicate keys, no prototype keys,
 * bounded aliases and size. Anything else is refused with the file and the place in it.
 */
import { isAlias, isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';

export const MAX_YAML_BYTES = 1024 * 1024;
const MAX_ALIASES = 50;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype', '<<']);
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/**
 * Parses one YAML document into plain JSON values.
 * @example parseSafeYaml('policies/default.yaml', 'name: default\n') // { name: 'default' }
 */
export function parseSafeYaml(file: string, text: string): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) {
    throw new InvalidInputError(file, null, `file is ${bytes} bytes; the limit is ${MAX_YAML_BYTES} (1 MiB)`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    merge: false,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    lineCounter,
  });
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return 'document';
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) {
    const line = first.message.split('\n')[0] ?? '';
    // The parser refuses unknown tags (!!js/function, !shell …) before our visitor sees them: say so plainly.
    const tag = first.code === 'TAG_RESOLVE_FAILED' ? /Unresolved tag: (\S+)/.exec(line)?.[1] : undefined;
    const problem = tag ? `custom tag ${tag} is not allowed` : `invalid YAML: ${line}`;
    throw new InvalidInputError(file, where(first.pos[0]), problem);
  }
  let aliases = 0;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        aliases += 1;
        if (aliases > MAX_ALIASES) {
          throw new InvalidInputError(file, where(node.range?.[0]), `more than ${MAX_ALIASES} aliases`);
        }
      }
      if (node.tag && !CORE_TAGS.has(node.tag)) {
        throw new InvalidInputError(file, where(node.range?.[0]), `custom tag ${node.tag} is not allowed`);
      }
    },
    Pair(_key, pair) {
      const key = pair.key;
      const name = isScalar(key) ? String(key.value) : null;
      if (name !== null && FORBIDDEN_KEYS.has(name)) {
        throw new InvalidInputError(
          file,
          where(isScalar(key) ? key.range?.[0] : undefined),
          `key "${name}" is not allowed`,
        );
      }
      if (key !== null && !isScalar(key)) {
        throw new InvalidInputError(
          file,
          where(isMap(key) ? key.range?.[0] : undefined),
          'keys must be plain scalars',
        );
      }
    },
  });
  // maxAliasCount bounds the expansion of nested aliases (the "billion laughs" document).
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw new InvalidInputError(file, null, `aliases expand too far (${(error as Error).message})`, {
      cause: error,
    });
  }
}
