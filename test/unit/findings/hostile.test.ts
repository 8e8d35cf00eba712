/**
 * Hostile and broken inputs: every field of every fixture replaced by every wrong type, prototype keys,
 * huge arrays, deep nesting. The only acceptable failure is an InvalidInputError naming the file.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError, parseFindings, parseJsonText } from '../../../lib/findings/index.ts';
import {
  BASIC,
  ENHANCED_ACTIVE,
  ENHANCED_CENTOS8,
  GRYPE,
  INSPECTOR_EVENT,
  INSPECTOR_LIST,
  loadFixture,
  TRIVY,
} from './fixtures.ts';

const WRONG_VALUES: readonly unknown[] = [null, 42, -1, 'x', '', true, [], {}, [null], { __proto__: null }];

/** Every path (keys and indexes) to every node of a JSON value. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (prefix.length > 0) out.push(prefix);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) paths(value[i], [...prefix, i], out);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let cur = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[path[path.length - 1] as string | number] = value;
}

const FIXTURES = [
  ['aws', BASIC],
  ['aws', ENHANCED_ACTIVE],
  ['aws', ENHANCED_CENTOS8],
  ['aws', INSPECTOR_LIST],
  ['aws', INSPECTOR_EVENT],
  ['scanners', TRIVY],
  ['scanners', GRYPE],
] as const;

describe('wrong types at any depth', () => {
  it.each(FIXTURES)('%s/%s: every field × every wrong type → result or InvalidInputError', (dir, name) => {
    const original = loadFixture(dir, name);
    let refused = 0;
    for (const path of paths(original)) {
      for (const wrong of WRONG_VALUES) {
        const json = structuredClone(original);
        setAt(json, path, wrong);
        try {
          const report = parseFindings(json, name, 'auto');
          expect(Array.isArray(report.findings)).toBe(true);
        } catch (error) {
          if (!(error instanceof InvalidInputError))
            throw new Error(`${path.join('.')} = ${JSON.stringify(wrong)}: ${error}`);
          expect(error.message.startsWith(`${name}: `)).toBe(true);
          refused++;
        }
      }
    }
    // The mutation really exercised the validation, not just silently passed everything.
    expect(refused).toBeGreaterThan(10);
  });
});

describe('prototype keys', () => {
  it('treats __proto__ / constructor keys as data and leaves Object.prototype untouched', () => {
    const text = JSON.stringify(loadFixture('aws', BASIC)).replace(
      '"imageScanFindings":{',
      '"imageScanFindings":{"__proto__":{"polluted":true,"findings":[{"name":"CVE-FAKE"}]},"constructor":{"prototype":{"polluted":true}},',
    );
    const report = parseFindings(parseJsonText('p.json', text), 'p.json', 'auto');
    expect(report.findings.map((f) => f.id)).toEqual(['CVE-2019-5188']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses to read anything while Object.prototype is polluted', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.severity = 'CRITICAL';
    try {
      expect(() => parseFindings(loadFixture('aws', BASIC), 'b.json', 'auto')).toThrow(
        'Object.prototype has an enumerable property "severity" (prototype pollution); refusing to read findings',
      );
    } finally {
      delete proto.severity;
    }
    expect(parseFindings(loadFixture('aws', BASIC), 'b.json', 'auto').findings).toHaveLength(1);
  });

  it('refuses a __proto__ key used as a Trivy CVSS source that is not an object', () => {
    const json = loadFixture('scanners', TRIVY);
    const text = JSON.stringify(json).replace(
      '"CVSS":{"nvd":{"V2Vector"',
      '"CVSS":{"__proto__":5,"nvd":{},"z":{"V2Vector"',
    );
    expect(() => parseFindings(parseJsonText('t.json', text), 't.json', 'trivy')).toThrow(
      't.json: Results[0].Vulnerabilities[0].CVSS.__proto__: expected an object, got 5',
    );
  });
});

describe('size and nesting', () => {
  it('reads a huge findings array (100,000 basic findings) without spreading it', () => {
    const page = loadFixture('aws', BASIC);
    const template = (page.imageScanFindings as { findings: Record<string, unknown>[] }).findings[0];
    const findings = new Array(100_000);
    for (let i = 0; i < findings.length; i++) findings[i] = { ...template, name: `CVE-2024-${i}` };
    (page.imageScanFindings as { findings: unknown[] }).findings = findings;
    const report = parseFindings(page, 'big.json', 'ecr');
    expect(report.findings).toHaveLength(100_000);
    expect(report.findings[99_999]?.id).toBe('CVE-2024-99999');
  });

  it('refuses deeply nested JSON text with a named error, not a crash', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    let result: unknown;
    try {
      result = parseFindings(parseJsonText('deep.json', deep), 'deep.json', 'auto');
    } catch (error) {
      result = error;
    }
    expect(result).toBeInstanceOf(InvalidInputError);
    expect((result as Error).message.startsWith('deep.json: ')).toBe(true);
  });

  it('refuses a severity that is a very long string, cutting it in the message', () => {
    const page = loadFixture('aws', BASIC);
    (page.imageScanFindings as { findings: Record<string, unknown>[] }).findings[0]!.severity = 'X'.repeat(
      100_000,
    );
    expect(() => parseFindings(page, 'l.json', 'ecr')).toThrow(`got "${'X'.repeat(60)}…"`);
  });
});
