/**
 * Builds one deployment package per Lambda function (run by `npm run build` through scripts/build.mjs):
 *
 *   .build/<function>/index.js        esbuild bundle, ESM, AWS SDK included, minified
 *   .build/<function>/package.json    {"type":"module"}: makes index.js an ES module for Lambda and Node
 *   .build/<function>/policy-set.json the validated policy set (policies/ → JSON), read at cold start
 *   .build/zips/<function>.zip        the three files above under `.build/<function>/`, reproducible
 *
 * Inside the zip the files keep their repository path, so the handler string in serverless.yml
 * (`.build/<function>/index.handler`) resolves the same way in Lambda (/var/task/.build/…) and in
 * `serverless invoke local` (repository root). An invalid policy set fails the build: nothing is zipped.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { createZip } from './build-zip.ts';

/** The functions of serverless.yml, by the handler file they bundle (handlers/<name>.ts). */
export const FUNCTIONS = [
  'image-pushed',
  'basic-scan-completed',
  'enhanced-scan-completed',
  'finding-changed',
  'hygiene-sweep',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** ~350 KB minified per function, SDK included: the bundle-size goal (reported, not enforced). */
export const BUNDLE_BUDGET_BYTES = 350 * 1024;

export interface FunctionArtifact {
  readonly name: FunctionName;
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  readonly zipBytes: number;
  readonly zipPath: string;
  readonly zipSha256: string;
}

export interface BuildOptions {
  /** Repository root. */
  readonly root: string;
  /** Policy directory bundled into every function (default `<root>/policies`). */
  readonly policiesDir?: string;
  /** Output directory (default `<root>/.build`). */
  readonly outDir?: string;
  readonly functions?: readonly FunctionName[];
}

interface PolicyModule {
  loadPolicySet(dir: string): Promise<unknown>;
  policySetFromJson(json: unknown, source: string): unknown;
}

/** The problems carried by `PolicySetInvalidError`, printed one per line. */
function describePolicyProblems(error: unknown): string {
  const problems = (error as { problems?: unknown }).problems;
  if (!Array.isArray(problems)) return error instanceof Error ? error.message : String(error);
  return problems
    .map((p: { file?: string; path?: string; message?: string; level?: string }) =>
      [
        p.level === 'warning' ? 'warning' : 'error',
        `${p.file ?? '?'}: ${p.path ?? ''}: ${p.message ?? ''}`,
      ].join(' '),
    )
    .join('\n');
}

/**
 * Loads and validates the policy set, then proves the runtime can read the JSON form back.
 * Throws with every problem (file and path) when the set is invalid.
 */
export async function compilePolicySet(root: string, policiesDir: string): Promise<string> {
  const entry = join(root, 'lib', 'policy', 'index.ts');
  if (!existsSync(entry)) throw new Error(`policy engine not found: ${relative(root, entry)}`);
  const policy = (await import(entry)) as PolicyModule;
  let policySet: unknown;
  try {
    policySet = await policy.loadPolicySet(policiesDir);
  } catch (error) {
    throw new Error(
      `invalid policy set in ${relative(root, policiesDir) || '.'}:\n${describePolicyProblems(error)}`,
      {
        cause: error,
      },
    );
  }
  const json = `${JSON.stringify(policySet)}\n`;
  // Round trip: what Lambda will parse must be accepted by the runtime loader.
  policy.policySetFromJson(JSON.parse(json), 'policy-set.json');
  return json;
}

interface HygieneModule {
  loadBaseline(file: string): Promise<unknown>;
}
interface SafeYamlModule {
  parseSafeYaml(file: string, text: string): unknown;
}

/**
 * policies/hygiene.yaml as JSON (`hygiene-baseline.json`, read by the sweep through GATEKEEPER_HYGIENE_BASELINE's
 * default), validated with the sweep's own loader first: an invalid baseline fails the build.
 */
export async function compileHygieneBaseline(root: string, policiesDir: string): Promise<string> {
  const file = join(policiesDir, 'hygiene.yaml');
  const hygiene = (await import(join(root, 'lib', 'hygiene', 'baseline.ts'))) as HygieneModule;
  try {
    await hygiene.loadBaseline(file);
  } catch (error) {
    throw new Error(`invalid hygiene baseline ${relative(root, file)}:\n${describePolicyProblems(error)}`, {
      cause: error,
    });
  }
  const yaml = (await import(join(root, 'lib', 'policy', 'safe-yaml.ts'))) as SafeYamlModule;
  return `${JSON.stringify(yaml.parseSafeYaml(file, await readFile(file, 'utf8')))}\n`;
}

/**
 * Credential providers the SDK loads lazily (`await import(…)`) only when no credentials are in the
 * environment. Lambda always sets AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, so these
 * branches never run there; leaving them out saves ~100 KB per function (they pull in the STS, SSO and
 * SSO-OIDC clients). Local runs (`serverless invoke local`) resolve them from node_modules.
 */
export const LAZY_EXTERNALS = [
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@smithy/credential-provider-imds',
] as const;

/**
 * Packages that must not reach the gate functions' bundles: the policy set arrives as JSON (policy-set.json).
 * The hygiene sweep is exempt for now: lib/hygiene/baseline.ts validates the baseline with ajv at runtime and
 * imports the YAML reader statically (its bundle size records the cost).
 */
export const FORBIDDEN_IN_BUNDLE = ['yaml', 'ajv'] as const;
const FORBIDDEN_EXEMPT: readonly FunctionName[] = ['hygiene-sweep'];

/** The policy engine's YAML loader, which the runtime only imports lazily (a directory of policies, local use). */
const YAML_LOADER_MODULES = [join('lib', 'policy', 'index.ts'), join('lib', 'policy', 'load.ts')];

/**
 * Replaces dynamic imports of the YAML policy loader with a module that throws a clear error. In Lambda
 * GATEKEEPER_POLICY_SET is the bundled policy-set.json; bundling the loader would add yaml + ajv (~260 KB)
 * for a branch that cannot run there. Static imports are left alone (the forbidden-package check catches them).
 */
function withoutYamlPolicyLoader(root: string): Plugin {
  const stubbed = new Set(YAML_LOADER_MODULES.map((file) => join(root, file)));
  return {
    name: 'gatekeeper-without-yaml-policy-loader',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /policy[\\/](index|load)\.ts$/ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const resolved = join(args.resolveDir, args.path);
        return stubbed.has(resolved) ? { path: resolved, namespace: 'gatekeeper-stub' } : undefined;
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'gatekeeper-stub' }, () => ({
        loader: 'js',
        contents:
          'const unavailable = async () => { throw new Error("loading YAML policies is not available in the Lambda bundle: ' +
          'set GATEKEEPER_POLICY_SET to a policy-set.json file (npm run build writes one beside each function)"); };\n' +
          'export const loadPolicySet = unavailable;\nexport const validatePolicyDir = unavailable;\n',
      }));
    },
  };
}

/**
 * Bundles one handler; returns the minified ESM code. Fails when a package left out of the bundle is
 * imported statically (it would be missing in Lambda at cold start): only dynamic imports may name one.
 */
export async function bundleHandler(root: string, name: FunctionName): Promise<string> {
  const entry = join(root, 'handlers', `${name}.ts`);
  if (!existsSync(entry)) throw new Error(`handler not found: handlers/${name}.ts (listed in FUNCTIONS)`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: join(root, '.build', name, 'index.js'),
    bundle: true,
    platform: 'node',
    // Lambda runs nodejs22.x; `invoke local` and CI may run Node 20, so emit syntax both understand.
    target: 'node20',
    // ESM: import.meta.url works (policy-set.json is found beside the bundle), the SDK's ES module
    // builds tree-shake, and nodejs22.x loads it natively (package.json "type": "module" in the zip).
    format: 'esm',
    // Prefer the SDK's ES module builds: they tree-shake, the CommonJS ones do not.
    mainFields: ['module', 'main'],
    minify: true,
    // Error classes set `this.name = new.target.name`; minified class names would change error names
    // in logs and break `name` checks (~7% of the bundle, worth it).
    keepNames: true,
    legalComments: 'none',
    sourcemap: false,
    metafile: true,
    write: false,
    logLevel: 'silent',
    // Bundled CommonJS dependencies may call require() for Node built-ins; ESM has no `require`.
    banner: {
      js: "import{createRequire as __gkCreateRequire}from'node:module';const require=__gkCreateRequire(import.meta.url);",
    },
    external: [...LAZY_EXTERNALS],
    plugins: [withoutYamlPolicyLoader(root)],
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error(`esbuild produced no output for handlers/${name}.ts`);
  for (const input of Object.keys(result.metafile.inputs)) {
    const pkg = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(input)?.[1];
    if (pkg && !FORBIDDEN_EXEMPT.includes(name) && (FORBIDDEN_IN_BUNDLE as readonly string[]).includes(pkg)) {
      throw new Error(
        `handlers/${name}.ts: bundle includes ${pkg} (${input}); Lambda reads policy-set.json and needs no ${FORBIDDEN_IN_BUNDLE.join('/')}`,
      );
    }
  }
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      const builtin = imported.path.startsWith('node:') || builtinModules.includes(imported.path);
      if (imported.external && !builtin && imported.kind !== 'dynamic-import') {
        throw new Error(
          `handlers/${name}.ts: ${imported.path} is left out of the bundle but imported statically (${imported.kind})`,
        );
      }
    }
  }
  return file.text;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Builds every function (or the given ones): bundle, policy set, zip. Throws on the first problem.
 *
 * @example
 * const artifacts = await buildFunctions({ root: process.cwd() });
 */
export async function buildFunctions(options: BuildOptions): Promise<FunctionArtifact[]> {
  const root = options.root;
  const outDir = options.outDir ?? join(root, '.build');
  const policiesDir = options.policiesDir ?? join(root, 'policies');
  const names = options.functions ?? FUNCTIONS;

  // Policies first: an invalid policy set must stop the build before anything is written.
  const policySetJson = await compilePolicySet(root, policiesDir);
  const hygieneBaselineJson = names.includes('hygiene-sweep')
    ? await compileHygieneBaseline(root, policiesDir)
    : null;
  const bundles = await Promise.all(
    names.map(async (name) => ({ name, code: await bundleHandler(root, name) })),
  );

  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'zips'), { recursive: true });
  const artifacts: FunctionArtifact[] = [];
  for (const { name, code } of bundles) {
    const dir = join(outDir, name);
    await mkdir(dir, { recursive: true });
    const files: Record<string, string> = {
      'index.js': code,
      'package.json': '{"type":"module"}\n',
      'policy-set.json': policySetJson,
    };
    if (name === 'hygiene-sweep' && hygieneBaselineJson !== null)
      files['hygiene-baseline.json'] = hygieneBaselineJson;
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
    // Always `.build/<function>/`, whatever outDir is: the handler string in serverless.yml names this path.
    const prefix = `.build/${name}`;
    const zip = createZip(Object.entries(files).map(([file, data]) => ({ name: `${prefix}/${file}`, data })));
    const zipPath = join(outDir, 'zips', `${name}.zip`);
    await writeFile(zipPath, zip);
    const codeBytes = Buffer.from(code, 'utf8');
    artifacts.push({
      name,
      bundleBytes: codeBytes.length,
      bundleGzipBytes: gzipSync(codeBytes, { level: 9 }).length,
      zipBytes: zip.length,
      zipPath,
      zipSha256: sha256(zip),
    });
  }
  return artifacts;
}

/** A fixed-width table of the artifacts for the build log (and BENCHMARKS.md). */
export function formatSizeReport(artifacts: readonly FunctionArtifact[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const rows = artifacts.map((a) => [
    a.name,
    String(a.bundleBytes),
    kb(a.bundleBytes),
    String(a.bundleGzipBytes),
    kb(a.bundleGzipBytes),
    String(a.zipBytes),
    a.bundleBytes <= BUNDLE_BUDGET_BYTES ? 'ok' : 'over 350 KB',
  ]);
  const header = ['function', 'bytes', '', 'gzip bytes', '', 'zip bytes', 'budget'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Entry point used by scripts/build.mjs. Returns the process exit code. */
export async function runBuild(io: {
  root: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}): Promise<number> {
  try {
    const artifacts = await buildFunctions({ root: io.root });
    io.stdout.write(`${formatSizeReport(artifacts)}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
