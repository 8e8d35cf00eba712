/**
 * Who may import whom (docs/development.md "Architecture"). The rules are the data below, in one place: this file
 * reads every .ts file under lib/ and handlers/, finds its imports (static `import … from`, `export … from`,
 * side-effect `import '…'`, dynamic `import('…')`, type-only imports included), resolves relative ones to their
 * module (a folder of lib/, handlers/, or whatever lies outside) and fails naming the importing file, the imported
 * module and the rule it breaks. Also here: AWS SDK clients are constructed only in `create…Client` factories, and
 * only lib/wiring calls those factories. The single tag writer is checked in test/unit/gate/tag-writer.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface ModuleRule {
  /** Other modules (`lib/x`, `handlers`, `policies`) and npm packages (`name`, `@scope/*`) it may import. */
  readonly mayImport: readonly string[];
  /** Why the boundary is where it is: printed with every violation. */
  readonly why: string;
}

const AWS_SDK = ['@aws-sdk/*', '@smithy/*'] as const;

/**
 * The module map. Within a module any import is free; `node:` built-ins are free everywhere. Everything else must
 * be listed. A new folder under lib/ must be added here and to docs/development.md "Architecture".
 */
const MODULES: Readonly<Record<string, ModuleRule>> = {
  'lib/errors': { mayImport: [], why: 'the base error depends on nothing' },
  'lib/log': { mayImport: [], why: 'logging and metrics depend on nothing' },
  'lib/findings': {
    mayImport: ['lib/errors'],
    why: 'findings normalisation is pure: it parses payloads, it never fetches them',
  },
  'lib/policy': {
    mayImport: ['lib/errors', 'lib/findings', 'policies', 'ajv', 'yaml'],
    why: 'verdicts are made from facts alone: no AWS SDK, no registry, ledger, gate, hygiene or notify',
  },
  'lib/events': {
    mayImport: ['lib/errors', 'lib/findings'],
    why: 'event parsing is pure: typed values out of EventBridge payloads',
  },
  'lib/config': {
    mayImport: ['lib/errors', 'lib/log', 'lib/policy'],
    why: 'configuration is read from the environment, not from AWS',
  },
  'lib/snapshot': {
    mayImport: ['lib/errors', 'lib/findings', 'lib/policy'],
    why: 'the snapshot format is read by the CLI, which must not load AWS clients',
  },
  'lib/aws': {
    mayImport: [...AWS_SDK],
    why: 'shared SDK settings, request counting and error classification sit below every adapter',
  },
  'lib/registry': {
    mayImport: ['lib/aws', 'lib/errors', 'lib/events', 'lib/findings', 'lib/policy', ...AWS_SDK],
    why: 'the Registry port and its ECR adapter: below the gate, never above it',
  },
  'lib/ledger': {
    mayImport: ['lib/aws', 'lib/errors', 'lib/events', 'lib/policy', ...AWS_SDK],
    why: 'the Ledger port and its DynamoDB adapter: below the gate, never above it',
  },
  'lib/notify': {
    mayImport: ['lib/aws', 'lib/config', 'lib/errors', 'lib/findings', 'lib/policy', ...AWS_SDK],
    why: 'the Notifier port, the notice formats and the SNS adapter: below the gate, never above it',
  },
  'lib/inspector': {
    mayImport: ['lib/aws', 'lib/errors', 'lib/findings', 'lib/hygiene', 'lib/log', ...AWS_SDK],
    why: 'the Inspector adapter implements a hygiene port',
  },
  'lib/hygiene': {
    mayImport: [
      'lib/config',
      'lib/errors',
      'lib/events',
      'lib/findings',
      'lib/log',
      'lib/notify',
      'lib/policy',
      'lib/registry',
      'policies',
    ],
    why: 'the sweep works on ports (registry, notifier, image usage); AWS clients arrive through lib/wiring',
  },
  'lib/gate': {
    mayImport: [
      'lib/aws',
      'lib/config',
      'lib/errors',
      'lib/events',
      'lib/findings',
      'lib/ledger',
      'lib/log',
      'lib/notify',
      'lib/policy',
      'lib/registry',
    ],
    why: 'the gate orchestrates ports; it imports no AWS SDK and no wiring, and asks lib/policy for verdicts',
  },
  'lib/rejudge': {
    mayImport: ['lib/aws', 'lib/errors', 'lib/events', 'lib/gate', 'lib/ledger', 'lib/notify', ...AWS_SDK],
    why: 're-judgement drives the gate over a queue port (SQS adapter beside it)',
  },
  'lib/registry-snapshot': {
    mayImport: [
      'lib/aws',
      'lib/errors',
      'lib/events',
      'lib/findings',
      'lib/ledger',
      'lib/log',
      'lib/policy',
      'lib/registry',
      'lib/snapshot',
      ...AWS_SDK,
    ],
    why: 'the scheduled snapshot reads the registry and ledger ports and writes through a store port (S3 adapter beside it)',
  },
  'lib/cli': {
    mayImport: [
      'lib/config',
      'lib/errors',
      'lib/events',
      'lib/findings',
      'lib/gate',
      'lib/hygiene',
      'lib/ledger',
      'lib/log',
      'lib/notify',
      'lib/policy',
      'lib/registry',
      'lib/snapshot',
    ],
    why: 'the CLI runs offline: no lib/wiring, no AWS SDK, no adapters that build clients',
  },
  'lib/wiring': {
    mayImport: [
      'lib/aws',
      'lib/config',
      'lib/gate',
      'lib/hygiene',
      'lib/inspector',
      'lib/ledger',
      'lib/log',
      'lib/notify',
      'lib/policy',
      'lib/registry',
      'lib/registry-snapshot',
      'lib/rejudge',
      '@middy/*',
      'aws-lambda',
      ...AWS_SDK,
    ],
    why: 'wiring builds adapters once per cold start; only handlers import it',
  },
  handlers: {
    mayImport: [
      'lib/wiring',
      'lib/gate',
      'lib/hygiene',
      'lib/registry-snapshot',
      'lib/rejudge',
      '@middy/*',
      'aws-lambda',
    ],
    why: 'a handler is wiring plus one lib call',
  },
};

interface SourceFile {
  /** Relative to the repository root, with forward slashes: `lib/policy/judge.ts`. */
  readonly path: string;
  readonly text: string;
}

interface ImportSite {
  readonly specifier: string;
  readonly kind: 'static' | 'dynamic';
}

interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly target: string;
  readonly rule: string;
}

/**
 * The code of a TypeScript file with comments, template-literal text and regular-expression bodies blanked out,
 * so that only real code is searched for imports. Each string literal becomes `'#n'`, its text `strings[n]`: what a
 * string says is never read as code, and specifiers are found by position.
 */
function codeOnly(text: string): { code: string; strings: string[] } {
  let out = '';
  const strings: string[] = [];
  let i = 0;
  const braces: number[] = []; // for each open `${`, the brace depth at which it closes
  let depth = 0;
  let last = ''; // last significant code character, to tell a regex from a division
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += `'#${strings.length}'`;
      strings.push(text.slice(i + 1, j));
      i = j + 1;
      last = c;
      continue;
    }
    if (c === '`' || (c === '}' && braces.length > 0 && braces[braces.length - 1] === depth)) {
      if (c === '}') {
        braces.pop();
        depth -= 1;
      }
      let j = i + 1;
      while (j < text.length && text[j] !== '`' && !(text[j] === '$' && text[j + 1] === '{')) {
        j += text[j] === '\\' ? 2 : 1;
      }
      if (text[j] === '$') {
        depth += 1;
        braces.push(depth);
        i = j + 2;
      } else {
        i = j + 1;
      }
      out += ' ';
      last = '`';
      continue;
    }
    if (
      c === '/' &&
      (last === '' || '(,=:[!&|?{};+-*%<>~^'.includes(last) || /\b(?:return|typeof)\s*$/.test(out.slice(-16)))
    ) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length && text[j] !== '\n' && (inClass || text[j] !== '/')) {
        if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j += text[j] === '\\' ? 2 : 1;
      }
      out += ' ';
      i = j + 1;
      last = '/';
      continue;
    }
    if (c === '{') depth += 1;
    if (c === '}') depth -= 1;
    if (!/\s/.test(c)) last = c;
    out += c;
    i += 1;
  }
  return { code: out, strings };
}

/** Every import of one file: `import … from`, `export … from`, `import '…'`, `import('…')`, type-only too. */
function importsOf(text: string): ImportSite[] {
  const { code, strings } = codeOnly(text);
  const literal = (n: string | undefined) =>
    n === undefined ? '<computed>' : (strings[Number(n)] as string);
  const sites: ImportSite[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\b[^;'`()]*?\bfrom\s*'#(\d+)'/g)) {
    sites.push({ specifier: literal(m[1]), kind: 'static' });
  }
  for (const m of code.matchAll(/(?<![.\w$])import\s*'#(\d+)'/g)) {
    sites.push({ specifier: literal(m[1]), kind: 'static' });
  }
  for (const m of code.matchAll(/(?<![.\w$])import\s*\(\s*(?:'#(\d+)'\s*[,)])?/g)) {
    // A computed specifier cannot be checked: it is reported as such.
    sites.push({ specifier: literal(m[1]), kind: 'dynamic' });
  }
  return sites;
}

/** The module a file belongs to: `lib/<folder>`, `handlers`, or the top folder it lies in. */
function moduleOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'lib' && parts.length > 2) return `lib/${parts[1]}`;
  return parts[0] as string;
}

/** What an import specifier reaches from `file`: a module (see {@link moduleOf}), a package, or `node:`. */
function targetOf(file: string, specifier: string): string {
  if (specifier.startsWith('node:')) return 'node:';
  if (specifier.startsWith('.')) {
    const resolved = posix.normalize(posix.join(posix.dirname(file), specifier));
    return resolved.startsWith('..') ? `outside the repository (${resolved})` : moduleOf(resolved);
  }
  if (specifier.startsWith('/')) return `absolute path (${specifier})`;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function allows(rule: ModuleRule, target: string): boolean {
  return rule.mayImport.some((allowed) =>
    allowed.endsWith('/*') ? target.startsWith(allowed.slice(0, -1)) : allowed === target,
  );
}

/** Every import in `files` that the module map does not allow, with the rule it breaks. */
function importViolations(files: readonly SourceFile[], modules = MODULES): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = moduleOf(file.path);
    const rule = modules[from];
    for (const { specifier } of importsOf(file.text)) {
      const target = specifier === '<computed>' ? 'unknown' : targetOf(file.path, specifier);
      if (target === 'node:' || target === from) continue;
      let why: string;
      if (rule === undefined) {
        why = `${from} is not in the module map: add it to MODULES in test/unit/architecture.test.ts and to docs/development.md "Architecture"`;
      } else if (specifier === '<computed>') {
        why = 'a dynamic import with a computed specifier cannot be checked: use a string literal';
      } else if (allows(rule, target)) {
        continue;
      } else {
        const allowed = rule.mayImport.length === 0 ? 'nothing outside itself' : rule.mayImport.join(', ');
        why = `${from} may import only ${allowed} (${rule.why})`;
      }
      violations.push({ file: file.path, specifier, target, rule: why });
    }
  }
  return violations;
}

/**
 * AWS SDK clients are built only inside `create…Client` factories, and only lib/wiring calls those factories: the
 * gate, the sweep and the CLI receive ports, and tests can hand them fakes.
 */
/** The name of the top-level function the code at `index` sits in. */
function enclosingFunction(code: string, index: number): string | undefined {
  const before = code.slice(0, index);
  return [...before.matchAll(/^(?:export\s+)?(?:async\s+)?function\s+([\w$]+)/gm)].pop()?.[1];
}

function clientViolations(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const { code, strings } = codeOnly(file.text);
    const sdkClasses = new Set<string>();
    for (const m of code.matchAll(/\bimport\s*(?!type\b)\{([^}]*)\}\s*from\s*'#(\d+)'/g)) {
      if (!strings[Number(m[2])]?.startsWith('@aws-sdk/client-')) continue;
      for (const name of (m[1] as string).split(',').map((n) => n.trim())) {
        const local = name.split(/\s+as\s+/).pop() ?? '';
        if (!name.startsWith('type ') && /Client$/.test(local)) sdkClasses.add(local);
      }
    }
    for (const m of code.matchAll(/\bnew\s+([A-Za-z_$][\w$]*)\s*\(/g)) {
      if (!sdkClasses.has(m[1] as string)) continue;
      const enclosing = enclosingFunction(code, m.index);
      if (enclosing !== undefined && /^create\w*Client$/.test(enclosing)) continue;
      violations.push({
        file: file.path,
        specifier: m[1] as string,
        target: 'AWS SDK client',
        rule: `new ${m[1]}(…) outside a create…Client factory: build SDK clients in one factory per service`,
      });
    }
    if (moduleOf(file.path) === 'lib/wiring') continue;
    for (const m of code.matchAll(/(?<!function\s+)\b(create[A-Z]\w*Client)\s*\(/g)) {
      // The shared factory (lib/aws/client-settings.ts) is what each service's create…Client factory calls.
      if (m[1] === 'createAwsClient' && /^create\w+Client$/.test(enclosingFunction(code, m.index) ?? '')) {
        continue;
      }
      violations.push({
        file: file.path,
        specifier: m[1] as string,
        target: 'client factory',
        rule: `${m[1]}(…) called outside lib/wiring: AWS clients are built in lib/wiring and reach the rest through ports`,
      });
    }
  }
  return violations;
}

/**
 * The shared value types (docs/development.md "Architecture"): an image reference, a finding, a decision. Each
 * depends on nothing: it imports only the others, and those as types only (erased when built), so any module can
 * use them without pulling in code.
 */
const VALUE_TYPES: readonly string[] = [
  'lib/events/image-ref.ts',
  'lib/findings/finding.ts',
  'lib/policy/decision.ts',
];

/** Every import of a shared value type that is not a type-only import of another shared value type. */
function valueTypeViolations(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    if (!VALUE_TYPES.includes(file.path)) continue;
    const { code, strings } = codeOnly(file.text);
    // Specifiers of the static imports that bring in types only (`import type …`, or every name marked `type`).
    const typeOnly: string[] = [];
    for (const m of code.matchAll(/\b(?:import|export)\b([^;'`()]*?)\bfrom\s*'#(\d+)'/g)) {
      const clause = (m[1] as string).trim();
      const names = /^\{([^}]*)\}$/
        .exec(clause)?.[1]
        ?.split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const types = /^type\b/.test(clause) || names?.every((n) => /^type\s/.test(n)) === true;
      if (types) typeOnly.push(strings[Number(m[2])] as string);
    }
    for (const { specifier } of importsOf(file.text)) {
      const resolved = specifier.startsWith('.')
        ? posix.normalize(posix.join(posix.dirname(file.path), specifier))
        : specifier;
      if (!VALUE_TYPES.includes(resolved)) {
        violations.push({
          file: file.path,
          specifier,
          target: resolved,
          rule: `a shared value type imports nothing but the others (${VALUE_TYPES.join(', ')})`,
        });
        continue;
      }
      const at = typeOnly.indexOf(specifier);
      if (at >= 0) {
        typeOnly.splice(at, 1);
        continue;
      }
      violations.push({
        file: file.path,
        specifier,
        target: resolved,
        rule: 'shared value types import each other as types only (`import type`), so each depends on nothing',
      });
    }
  }
  return violations;
}

/** Above this a file holds more than one concept (issue 12); split it rather than raise the bound. */
const MAX_FILE_LINES = 500;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function tree(): SourceFile[] {
  return [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'handlers'))].map((path) => ({
    path: relative(ROOT, path).split(sep).join('/'),
    text: readFileSync(path, 'utf8'),
  }));
}

function describeViolation(v: Violation): string {
  return `${v.file}: '${v.specifier}' → ${v.target}: ${v.rule}`;
}

describe('architecture: who may import whom', () => {
  const files = tree();

  it('every folder of lib/ is in the module map, and the map names no folder that is gone', () => {
    const folders = readdirSync(join(ROOT, 'lib'))
      .filter((name) => statSync(join(ROOT, 'lib', name)).isDirectory())
      .map((name) => `lib/${name}`);
    const loose = files.filter((f) => moduleOf(f.path) === 'lib').map((f) => f.path);

    expect(loose, 'files directly in lib/ belong to no module').toEqual([]);
    expect(Object.keys(MODULES).sort()).toEqual([...folders, 'handlers'].sort());
  });

  it('every import in lib/ and handlers/ is allowed by the module map', () => {
    expect(importViolations(files).map(describeViolation)).toEqual([]);
  });

  it('AWS SDK clients are built only in create…Client factories, called only by lib/wiring', () => {
    expect(clientViolations(files).map(describeViolation)).toEqual([]);
    // The factories exist and lib/wiring calls them: the rule guards real call sites.
    const wiring = files
      .filter((f) => f.path.startsWith('lib/wiring/'))
      .map((f) => f.text)
      .join('\n');
    expect(wiring).toMatch(/\bcreateEcrClient\(/);
  });

  it('the shared value types (image reference, finding, decision) depend on nothing', () => {
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining([...VALUE_TYPES]));
    expect(valueTypeViolations(files).map(describeViolation)).toEqual([]);
  });

  it('no file in lib/ or handlers/ is over 500 lines (one concept per file)', () => {
    const long = tree()
      .map((file) => ({ path: file.path, lines: file.text.split('\n').length - 1 }))
      .filter((file) => file.lines > MAX_FILE_LINES)
      .map((file) => `${file.path}: ${file.lines} lines`);
    expect(long).toEqual([]);
  });

  it('the module map has no cycle, so the layers can be read bottom up', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (module: string, path: string[]): void => {
      if (state.get(module) === 'done') return;
      if (state.get(module) === 'open') {
        cycles.push([...path.slice(path.indexOf(module)), module].join(' → '));
        return;
      }
      state.set(module, 'open');
      for (const next of MODULES[module]?.mayImport ?? [])
        if (next in MODULES) visit(next, [...path, module]);
      state.set(module, 'done');
    };
    for (const module of Object.keys(MODULES)) visit(module, []);
    expect(cycles).toEqual([]);
  });

  it('docs/development.md "Architecture" names every module of the map', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'development.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Architecture'));
    expect(doc).toContain('## Architecture');
    const missing = Object.keys(MODULES).filter((module) => !section.includes(`\`${module}/\``));
    expect(missing).toEqual([]);
  });

  it('finds every import the bundler finds (the scanner misses nothing esbuild resolves)', async () => {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: files.map((f) => f.path),
      bundle: true,
      write: false,
      metafile: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      outdir: join(ROOT, 'node_modules', '.cache', 'architecture-test'),
      logLevel: 'silent',
    });
    const missed: string[] = [];
    for (const file of files) {
      const found = new Set(importsOf(file.text).map((site) => site.specifier));
      for (const record of result.metafile.inputs[file.path]?.imports ?? []) {
        const specifier = record.original ?? record.path;
        if (!found.has(specifier)) missed.push(`${file.path}: ${specifier} (${record.kind})`);
      }
    }
    expect(missed).toEqual([]);
    expect(Object.keys(result.metafile.inputs).length).toBeGreaterThan(100);
  });
});

describe('architecture rules catch violations', () => {
  const check = (path: string, text: string) => importViolations([{ path, text }]).map(describeViolation);

  it.each([
    [
      'an AWS SDK client in the policy core',
      'lib/policy/judge.ts',
      "import { ECRClient } from '@aws-sdk/client-ecr';",
      '@aws-sdk/client-ecr',
    ],
    [
      'a type-only import of the gate from findings',
      'lib/findings/finding.ts',
      "import type { GateDependencies } from '../gate/context.ts';",
      'lib/gate',
    ],
    [
      'a re-export of wiring from the CLI',
      'lib/cli/main.ts',
      "export { getGateDependencies } from '../wiring/index.ts';",
      'lib/wiring',
    ],
    [
      'a dynamic import of notify from policy',
      'lib/policy/load.ts',
      "const m = await import('../notify/index.ts');",
      'lib/notify',
    ],
    [
      'a side-effect import of test support',
      'lib/gate/apply.ts',
      "import '../../test/support/local-aws.ts';",
      'test',
    ],
    [
      'a multi-line import of bench code',
      'lib/hygiene/sweep.ts',
      "import {\n  a,\n  b,\n} from '../../bench/run.ts';",
      'bench',
    ],
    [
      'a handler importing an adapter module directly',
      'handlers/image-pushed.ts',
      "import { EcrRegistry } from '../lib/registry/ecr-registry.ts';",
      'lib/registry',
    ],
    [
      'a library importing a handler',
      'lib/rejudge/rejudge.ts',
      "import { handler } from '../../handlers/rejudge.ts';",
      'handlers',
    ],
  ])('%s', (_name, path, text, target) => {
    const found = check(path, text);

    expect(found).toHaveLength(1);
    expect(found[0]).toContain(path);
    expect(found[0]).toContain(`→ ${target}:`);
    expect(found[0]).toContain(
      `${path.startsWith('handlers') ? 'handlers' : path.split('/').slice(0, 2).join('/')} may import only`,
    );
  });

  it('a shared value type importing code, or anything but the others, is reported', () => {
    const found = valueTypeViolations([
      {
        path: 'lib/policy/decision.ts',
        text: [
          "import { SEVERITIES } from '../findings/finding.ts';",
          "import { type ImageRef, imageKey } from '../events/image-ref.ts';",
          "import type { PolicySet } from './policy-set.ts';",
          "export { Verdict } from './verdict.ts';",
        ].join('\n'),
      },
      { path: 'lib/events/image-ref.ts', text: "import '../errors/gatekeeper-error.ts';" },
      { path: 'lib/policy/judge.ts', text: "import { Ajv } from 'ajv';" },
    ]).map(describeViolation);

    expect(found).toHaveLength(5);
    expect(found[0]).toMatch(/^lib\/policy\/decision.ts: '..\/findings\/finding.ts' .*as types only/);
    expect(found[1]).toMatch(/^lib\/policy\/decision.ts: '..\/events\/image-ref.ts' .*as types only/);
    expect(found[2]).toMatch(
      /^lib\/policy\/decision.ts: '.\/policy-set.ts' → lib\/policy\/policy-set.ts: .*nothing but the others/,
    );
    expect(found[3]).toMatch(/^lib\/policy\/decision.ts: '.\/verdict.ts' .*nothing but the others/);
    expect(found[4]).toMatch(
      /^lib\/events\/image-ref.ts: '..\/errors\/gatekeeper-error.ts' .*nothing but the others/,
    );
    expect(
      valueTypeViolations([
        {
          path: 'lib/policy/decision.ts',
          text: "import type { Severity } from '../findings/finding.ts';\nimport { type ImageRef } from '../events/image-ref.ts';",
        },
      ]),
    ).toEqual([]);
  });

  it('a computed dynamic import is reported, and a module missing from the map is named', () => {
    expect(check('lib/cli/main.ts', 'const m = await import(name);')[0]).toMatch(/computed specifier/);
    expect(check('lib/model/image.ts', "import { x } from '../errors/gatekeeper-error.ts';")[0]).toMatch(
      /lib\/model is not in the module map/,
    );
  });

  it('ignores imports inside comments, template text and strings, and allows what the map allows', () => {
    const text = [
      "// import { ECRClient } from '@aws-sdk/client-ecr';",
      "/* export * from '../gate/index.ts'; */",
      "const help = `import x from '../wiring/index.ts'`;",
      "const re = /import('x')/;",
      'const s = "import(\'../gate/apply.ts\')";',
      "import { Ajv } from 'ajv';",
      "import { createHash } from 'node:crypto';",
      "import type { Finding } from '../findings/finding.ts';",
      "export { judgeImage } from './judge.ts';",
    ].join('\n');

    expect(check('lib/policy/example.ts', text)).toEqual([]);
    expect(importsOf(text).map((site) => site.specifier)).toEqual([
      'ajv',
      'node:crypto',
      '../findings/finding.ts',
      './judge.ts',
    ]);
  });

  it('reports an SDK client built outside a factory and a factory called outside lib/wiring', () => {
    const adapter = [
      "import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';",
      'export function createEcrClient(config: ECRClientConfig): ECRClient {',
      '  return new ECRClient(config);',
      '}',
      'export function somewhereElse(): ECRClient {',
      '  return new ECRClient({});',
      '}',
    ].join('\n');
    const gate =
      "import { createEcrClient } from '../registry/ecr-client.ts';\nconst client = createEcrClient();";

    const found = clientViolations([
      { path: 'lib/registry/ecr-client.ts', text: adapter },
      { path: 'lib/gate/handle-push.ts', text: gate },
      { path: 'lib/wiring/gate-dependencies.ts', text: gate },
    ]).map(describeViolation);

    expect(found).toEqual([
      "lib/registry/ecr-client.ts: 'ECRClient' → AWS SDK client: new ECRClient(…) outside a create…Client factory: build SDK clients in one factory per service",
      "lib/gate/handle-push.ts: 'createEcrClient' → client factory: createEcrClient(…) called outside lib/wiring: AWS clients are built in lib/wiring and reach the rest through ports",
    ]);
  });

  it('lets a service factory call the shared createAwsClient, and nothing else outside lib/wiring', () => {
    const adapter = [
      "import { ECRClient } from '@aws-sdk/client-ecr';",
      "import { createAwsClient } from '../aws/client-settings.ts';",
      'export function createEcrClient(options = {}): ECRClient {',
      '  return createAwsClient(ECRClient, options, DEFAULTS);',
      '}',
      'export function sideDoor(): ECRClient {',
      '  return createAwsClient(ECRClient, {}, DEFAULTS);',
      '}',
    ].join('\n');

    const found = clientViolations([{ path: 'lib/registry/ecr-client.ts', text: adapter }]).map(
      describeViolation,
    );

    expect(found).toEqual([
      "lib/registry/ecr-client.ts: 'createAwsClient' → client factory: createAwsClient(…) called outside lib/wiring: AWS clients are built in lib/wiring and reach the rest through ports",
    ]);
  });
});
