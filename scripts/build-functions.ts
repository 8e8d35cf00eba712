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
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin, transform } from 'esbuild';
import { baselineJsonSha256 } from '../lib/hygiene/built-baseline.ts';
import { policySetFileSha256 } from '../lib/policy/built-set.ts';
import { createZip } from './build-zip.ts';

/** The functions of serverless.yml, by the handler file they bundle (handlers/<name>.ts). */
export const FUNCTIONS = [
  'image-pushed',
  'basic-scan-completed',
  'enhanced-scan-completed',
  'finding-changed',
  'hygiene-sweep',
  'rejudge',
  'registry-snapshot',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** ~350 KB minified per function, SDK included: the bundle-size goal (issue 4). */
export const BUNDLE_GOAL_BYTES = 350 * 1024;

/**
 * The recorded size each bundle must stay within (enforced by test/deploy/bundle-budget.test.ts): today's size
 * plus a little room. Raise a budget only with a reason (`node scripts/build.mjs --analyze` shows what grew).
 * The gate functions share one dependency graph (~245 KB of it the SDK's ECR, SNS and DynamoDB clients); the
 * sweep adds the Inspector2 client, lib/hygiene and the baseline schema. Sizes: BENCHMARKS.md.
 */
// Raised from 400/460 KiB: the fenced ledger model, the index graph and message replay (lib/gate), the verdict
// over every tag (lib/policy/judge.ts), the event identity checks and the EMF metrics each added a few KB.
// Lowered from 420/480 KiB: the SDK exception classes compacted (compactSdkErrorClasses, about −18 KB), the
// policy checker replaced by the build's sha256 in the bundle (builtPolicySetReader, about −13 KB), DynamoDB's
// unused endpoint-discovery cache (unusedEndpointCache, about −8 KB), the JavaScript SHA-256 fallback (−3 KB).
// Raised from 390/445/400 KiB (gate/sweep/rejudge): the duplicate short-cut and the scanning-configuration cache,
// image facts in the ledger, the deadline-check claims and the ledger's index queries and batched reads, the one
// paginator and client factory and the split into one file per concept (about +11 KB for the gate, +13 KB for the
// sweep, partly offset by the sweep's generated baseline validator, −10.8 KB). registry-snapshot: its measured size.
export const BUNDLE_BUDGETS: Readonly<Record<FunctionName, number>> = {
  'image-pushed': 405 * 1024,
  'basic-scan-completed': 405 * 1024,
  'enhanced-scan-completed': 405 * 1024,
  'finding-changed': 405 * 1024,
  'hygiene-sweep': 460 * 1024,
  rejudge: 410 * 1024,
  'registry-snapshot': 400 * 1024,
};

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
  /** The time policies are validated at (exception expiry); default: now. */
  readonly now?: Date;
}

interface PolicyModule {
  loadPolicySet(dir: string): Promise<unknown>;
  validatePolicyDir(
    dir: string,
    now: Date,
  ): Promise<{ problems: { file: string; path: string; message: string; level: string }[] }>;
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
 * Validates the policy set exactly as `gatekeeper policy validate` does (the same function, at `now`: an expired
 * exception or a broken test case fails both), loads it, then proves the runtime can read the JSON form back.
 * Throws with every problem (file and path) when the set is invalid.
 */
export async function compilePolicySet(
  root: string,
  policiesDir: string,
  now: Date = new Date(),
): Promise<string> {
  const entry = join(root, 'lib', 'policy', 'index.ts');
  if (!existsSync(entry)) throw new Error(`policy engine not found: ${relative(root, entry)}`);
  const policy = (await import(entry)) as PolicyModule;
  const report = await policy.validatePolicyDir(policiesDir, now);
  if (report.problems.some((p) => p.level === 'error')) {
    throw new Error(
      `invalid policy set in ${relative(root, policiesDir) || '.'} (as \`gatekeeper policy validate\` reports it):\n${describePolicyProblems({ problems: report.problems })}`,
    );
  }
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
 * Packages that must not reach any function bundle: the policy set and the hygiene baseline arrive as JSON
 * (policy-set.json, hygiene-baseline.json), validated by the build with the YAML/JSON Schema loaders; at cold start
 * the policy set and the baseline are verified against the sha256 the build recorded (lib/policy/built-set.ts,
 * lib/hygiene/built-baseline.ts).
 */
export const FORBIDDEN_IN_BUNDLE = ['yaml', 'ajv'] as const;

/**
 * Modules the runtime imports only dynamically, on branches that cannot run in Lambda; the bundle gets a module
 * that throws a clear error instead (bundling them would add yaml and the policy loader, or unused SDK code).
 * Keyed by the import as written; `from` restricts it to importers under that path (relative to the root).
 * Static imports of these are left alone (and the forbidden-package check catches yaml/ajv).
 */
export const LAMBDA_STUBS: readonly {
  readonly specifier: RegExp;
  readonly from: string;
  readonly exports: readonly string[];
  readonly reason: string;
}[] = [
  {
    // lib/wiring/gate-dependencies.ts: GATEKEEPER_POLICY_SET naming a directory (local use) loads the YAML policies.
    specifier: /^\.\.?\/(?:.*\/)?policy\/(?:index|load)\.ts$/,
    from: 'lib',
    exports: ['loadPolicySet', 'validatePolicyDir'],
    reason:
      'loading YAML policies is not available in the Lambda bundle: set GATEKEEPER_POLICY_SET to a policy-set.json file (npm run build writes one beside each function)',
  },
  {
    // lib/hygiene/baseline.ts: a baseline file not ending in .json is parsed as YAML (CLI, build).
    specifier: /^\.\.?\/(?:.*\/)?policy\/safe-yaml\.ts$/,
    from: 'lib',
    exports: ['parseSafeYaml'],
    reason:
      'reading YAML is not available in the Lambda bundle: set GATEKEEPER_HYGIENE_BASELINE to the hygiene-baseline.json file npm run build writes beside the sweep',
  },
  {
    // @smithy/core's HttpProtocol loads the event-stream codec for operations with event-stream members.
    // None of the operations of the bundled clients (ECR, SNS, DynamoDB, Inspector2) has one.
    specifier: /^@smithy\/core\/event-streams$/,
    from: 'node_modules',
    exports: ['EventStreamSerde', 'eventStreamSerdeProvider'],
    reason: 'AWS event streams are not bundled: none of the operations this function calls uses one',
  },
];

function lambdaStubs(root: string): Plugin {
  return {
    name: 'gatekeeper-lambda-stubs',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const importer = relative(root, args.importer).split(sep).join('/');
        const index = LAMBDA_STUBS.findIndex(
          (stub) => stub.specifier.test(args.path) && importer.startsWith(`${stub.from}/`),
        );
        return index < 0 ? undefined : { path: String(index), namespace: 'gatekeeper-stub' };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'gatekeeper-stub' }, (args) => {
        const stub = LAMBDA_STUBS[Number(args.path)];
        if (!stub) throw new Error(`unknown stub ${args.path}`);
        const thrower = `() => { throw new Error(${JSON.stringify(stub.reason)}); }`;
        return {
          loader: 'js',
          contents: stub.exports.map((name) => `export const ${name} = ${thrower};`).join('\n'),
        };
      });
    },
  };
}

/**
 * The gate reads policy-set.json through lib/policy/read-policy-set.ts, which re-runs the whole policy checker
 * (~11 KB). In a bundle it is replaced by lib/policy/built-set.ts with the sha256 of the policy-set.json this
 * build validated and wrote: the function refuses any other bytes and checks the set's own version hash.
 * Without a recorded sha256 (`--analyze`, tests of the bundle's make-up) the bundled reader refuses every file.
 */
function builtPolicySetReader(root: string, policySetSha256: string | undefined): Plugin {
  return {
    name: 'gatekeeper-built-policy-set',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /(?:^|\/)read-policy-set\.ts$/ }, (args) => {
        const importer = relative(root, args.importer).split(sep).join('/');
        if (!importer.startsWith('lib/')) return undefined;
        return { path: 'read-policy-set', namespace: 'gatekeeper-built-policy-set' };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'gatekeeper-built-policy-set' }, () => ({
        loader: 'js',
        resolveDir: join(root, 'lib', 'policy'),
        contents: [
          "import { policySetFromBuild } from './built-set.ts';",
          `const recorded = ${policySetSha256 === undefined ? 'undefined' : JSON.stringify(policySetSha256)};`,
          'export const readPolicySetJson = (text, source) => policySetFromBuild(text, source, recorded);',
        ].join('\n'),
      }));
    },
  };
}

/**
 * The sweep's bundle checks its baseline by the sha256 of the hygiene-baseline.json the build validated and wrote
 * (lib/hygiene/built-baseline.ts) instead of carrying the schema validator (lib/hygiene/baseline-schema.ts).
 */
function builtBaselineSchema(root: string, baselineSha256: string | undefined): Plugin {
  return {
    name: 'gatekeeper-built-baseline',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /(?:^|\/)baseline-schema\.ts$/ }, (args) => {
        const importer = relative(root, args.importer).split(sep).join('/');
        if (!importer.startsWith('lib/')) return undefined;
        return { path: 'baseline-schema', namespace: 'gatekeeper-built-baseline' };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'gatekeeper-built-baseline' }, () => ({
        loader: 'js',
        resolveDir: join(root, 'lib', 'hygiene'),
        contents: [
          "import { builtBaselineProblems } from './built-baseline.ts';",
          `const recorded = ${baselineSha256 === undefined ? 'undefined' : JSON.stringify(baselineSha256)};`,
          'export const baselineSchemaProblems = (json, file) => builtBaselineProblems(json, file, recorded);',
        ].join('\n'),
      }));
    },
  };
}

/**
 * The DynamoDB client creates an endpoint-discovery cache (an LRU from mnemonist, ~8 KB with its helpers) when it
 * is constructed, but only endpoint discovery's middleware reads it, and no operation of this DynamoDB client adds
 * that middleware (each command's middleware list is empty). The bundle gets a cache that cannot hold entries;
 * the build fails if the middleware is ever bundled (an SDK update that makes discovery reachable).
 */
export const ENDPOINT_DISCOVERY_MIDDLEWARE =
  /[\\/]@aws-sdk[\\/]middleware-endpoint-discovery[\\/]dist-es[\\/]endpointDiscoveryMiddleware\.js$/;

function unusedEndpointCache(): Plugin {
  return {
    name: 'gatekeeper-unused-endpoint-cache',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^@aws-sdk\/endpoint-cache$/ }, (args) => {
        if (!/[\\/]@aws-sdk[\\/]middleware-endpoint-discovery[\\/]/.test(args.importer)) return undefined;
        return { path: 'endpoint-cache', namespace: 'gatekeeper-endpoint-cache' };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'gatekeeper-endpoint-cache' }, () => ({
        loader: 'js',
        contents: [
          'const unavailable = () => {',
          '  throw new Error("DynamoDB endpoint discovery is not bundled: none of the operations this function calls uses it");',
          '};',
          'export class EndpointCache {',
          '  constructor(capacity) { this.capacity = capacity; }',
          '}',
          'for (const method of ["getEndpoint", "get", "set", "delete", "has", "clear"])',
          '  EndpointCache.prototype[method] = unavailable;',
        ].join('\n'),
      }));
    },
  };
}

/**
 * @smithy/core's Sha256Node (request signing, payload hashes) falls back to a pure-JavaScript SHA-256 (~3 KB)
 * only when `node:crypto` cannot create a sha256 hash, which every Node.js runtime can; the fallback becomes a
 * class that says so.
 */
function nativeSha256Only(): Plugin {
  return {
    name: 'gatekeeper-native-sha256-only',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\.\/Sha256Js$/ }, (args) =>
        /[\\/]checksum[\\/]sha256[\\/]Sha256Node\.js$/.test(args.importer)
          ? { path: 'Sha256Js', namespace: 'gatekeeper-native-sha256' }
          : undefined,
      );
      pluginBuild.onLoad({ filter: /.*/, namespace: 'gatekeeper-native-sha256' }, () => ({
        loader: 'js',
        contents:
          'export class Sha256Js { constructor() { throw new Error("node:crypto has no sha256: the JavaScript SHA-256 is not bundled"); } }',
      }));
    },
  };
}

/**
 * Error classes set `this.name = new.target.name` (lib/errors/gatekeeper-error.ts); minifying would change the
 * names in logs and `name` checks. esbuild's global `keepNames` costs ~27 KB per bundle (every function of the
 * SDK gets wrapped; the SDK's own errors carry literal names), so names are kept only in our files that derive
 * classes (the errors.ts of each module): they are transformed with keepNames before bundling.
 */
export function keepOurClassNames(root: string, tsconfigRaw: string): Plugin {
  return {
    name: 'gatekeeper-keep-class-names',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
        const path = relative(root, args.path);
        if (path.startsWith('..') || path.split(sep).includes('node_modules')) return undefined;
        const source = await readFile(args.path, 'utf8');
        // Only files deriving classes (our errors: `class XError extends GatekeeperError`).
        if (!/\bclass\s+[A-Za-z_$][\w$]*\s+extends\s/.test(source)) return { contents: source, loader: 'ts' };
        const result = await transform(source, {
          loader: 'ts',
          format: 'esm',
          target: 'node20',
          keepNames: true,
          sourcefile: path,
          tsconfigRaw,
        });
        return { contents: result.code, loader: 'js' };
      });
    },
  };
}

/**
 * Lets esbuild drop the schemas of the SDK operations a function never calls. The generated schema modules key
 * some objects by module constants (`{ [_ht]: ["POST", "/x", 200] }` with `const _ht = "http"`); esbuild must
 * assume a computed key has side effects and keeps every such schema and everything it references (~55 KB of
 * Inspector2's). Replacing the constant by its string literal (`{ "http": … }`) is the same object.
 */
function foldSdkSchemaKeys(): Plugin {
  return {
    name: 'gatekeeper-fold-sdk-schema-keys',
    setup(pluginBuild) {
      pluginBuild.onLoad(
        {
          filter:
            /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/,
        },
        async (args) => {
          const source = await readFile(args.path, 'utf8');
          const constants = new Map<string, string>();
          for (const m of source.matchAll(/^const (_[A-Za-z0-9]+) = ("(?:[^"\\\n]|\\.)*");$/gm))
            constants.set(m[1] as string, m[2] as string);
          const contents = source.replace(
            /([{,]\s*)\[(_[A-Za-z0-9]+)\]:/g,
            (whole, before: string, name: string) => {
              const literal = constants.get(name);
              return literal === undefined ? whole : `${before}${literal}:`;
            },
          );
          return { contents, loader: 'js' };
        },
      );
    },
  };
}

/**
 * One generated AWS SDK exception class (models/errors.js): its name, fault, shape id and the members it copies
 * from the response. Every class of the generated files has this exact form.
 */
const SDK_ERROR_CLASS =
  /export class (\w+) extends __BaseException \{\n {4}static shapeId = ("[^"\n]*");\n {4}name = "\1";\n {4}\$fault = ("client"|"server");\n( {4}\$retryable = \{(?:\n {8}throttling: true,\n {4})?\};\n)?((?: {4}\w+;\n)*) {4}constructor\(opts\) \{\n {8}super\(\{\n {12}name: "\1",\n {12}\$fault: \3,\n {12}\.\.\.opts,\n {8}\}\);\n {8}Object\.setPrototypeOf\(this, \1\.prototype\);\n((?: {8}this\.(\w+) = opts\.\7;\n)*) {4}\}\n\}\n/g;

/**
 * The SDK clients' exception classes rewritten as one small factory per file (~70 instead of ~270 bytes per class;
 * ECR alone has 50): the same classes with the same shape id, `name`, `$fault`, members and prototype chain, so
 * errors read, classify and retry as before. Each client registers every one of its exceptions for the error
 * deserializer, so all of them are bundled. A file not entirely of the generated form is left as it is.
 */
export function compactSdkErrorClasses(source: string): string {
  const classes = source.match(/^export class /gm)?.length ?? 0;
  const header = /^import \{ (\w+) as __BaseException \} from "(\.\/\w+)";\n/.exec(source);
  if (!header || classes === 0) return source;
  let count = 0;
  const body = source
    .slice(header[0].length)
    .replace(
      SDK_ERROR_CLASS,
      (
        whole: string,
        name: string,
        shapeId: string,
        fault: string,
        retryable: string | undefined,
        fields: string,
        assigned: string,
      ) => {
        const declared = [...fields.matchAll(/(\w+);/g)].map((m) => m[1]);
        const copied = [...assigned.matchAll(/this\.(\w+) = /g)].map((m) => m[1]);
        if (declared.join() !== copied.join()) return whole;
        count += 1;
        const retry = retryable === undefined ? 0 : retryable.includes('throttling') ? 2 : 1;
        const args = [shapeId, `"${name}"`, fault, JSON.stringify(declared), String(retry)];
        return `export const ${name} = /* @__PURE__ */ __gkError(${args.join(', ')});\n`;
      },
    );
  if (count !== classes || body.includes('export class ')) return source;
  // Fields as the generated classes define them: `name` and `$fault` as class fields, then `$retryable` (a new
  // object per error) and the members, defined in declaration order with the value the response gave.
  const factory = `const __gkError = (shapeId, name, fault, members, retryable) => {
  const define = (target, key, value) =>
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  const E = class extends __BaseException {
    static shapeId = shapeId;
    name = name;
    $fault = fault;
    constructor(opts) {
      super({ name, $fault: fault, ...opts });
      Object.setPrototypeOf(this, E.prototype);
      if (retryable) define(this, "$retryable", retryable === 2 ? { throttling: true } : {});
      for (const member of members) define(this, member, opts[member]);
    }
  };
  return E;
};
`;
  return `${header[0]}${factory}${body}`;
}

function compactSdkErrors(): Plugin {
  return {
    name: 'gatekeeper-compact-sdk-errors',
    setup(pluginBuild) {
      pluginBuild.onLoad(
        {
          filter: /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]models[\\/]errors\.js$/,
        },
        async (args) => ({
          contents: compactSdkErrorClasses(await readFile(args.path, 'utf8')),
          loader: 'js',
        }),
      );
    },
  };
}

/**
 * The SDK clients import their whole package.json for one field, `version` (user agent); the rest of the
 * manifest (~2 KB per client) is dropped.
 */
function slimSdkManifests(): Plugin {
  return {
    name: 'gatekeeper-slim-sdk-manifests',
    setup(pluginBuild) {
      pluginBuild.onLoad(
        { filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ },
        async (args) => {
          const manifest = JSON.parse(await readFile(args.path, 'utf8')) as {
            name?: string;
            version?: string;
          };
          return {
            loader: 'json',
            contents: JSON.stringify({ name: manifest.name, version: manifest.version }),
          };
        },
      );
    },
  };
}

/** The compiler options esbuild honours (verbatimModuleSyntax …), for files transformed by a plugin. */
export async function readTsconfig(root: string): Promise<string> {
  const file = join(root, 'tsconfig.json');
  if (!existsSync(file)) return '{}';
  const { compilerOptions } = JSON.parse(await readFile(file, 'utf8')) as { compilerOptions?: unknown };
  return JSON.stringify({ compilerOptions: compilerOptions ?? {} });
}

/**
 * Bundles one handler; returns the minified ESM code. Fails when a package left out of the bundle is
 * imported statically (it would be missing in Lambda at cold start): only dynamic imports may name one.
 */
export async function bundleHandler(
  root: string,
  name: FunctionName,
  options: BundleOptions = {},
): Promise<string> {
  return (await bundleHandlerWithMetafile(root, name, options)).code;
}

export interface BundleOptions {
  /** `sha256:<hex>` of the policy-set.json shipped beside the bundle: the only policy set the bundle accepts. */
  readonly policySetSha256?: string;
  /** `sha256:<hex>` of the hygiene-baseline.json shipped beside the sweep: the only baseline it accepts. */
  readonly baselineSha256?: string;
}

/** {@link bundleHandler} plus esbuild's metafile (what each input contributed), for `--analyze`. */
export async function bundleHandlerWithMetafile(
  root: string,
  name: FunctionName,
  options: BundleOptions = {},
): Promise<{ code: string; metafile: Metafile }> {
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
    // Class names are kept where they matter only (see keepOurClassNames).
    keepNames: false,
    // Our alert texts carry non-ASCII punctuation; emit it as UTF-8 instead of \u escapes.
    charset: 'utf8',
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
    plugins: [
      lambdaStubs(root),
      builtPolicySetReader(root, options.policySetSha256),
      builtBaselineSchema(root, options.baselineSha256),
      unusedEndpointCache(),
      nativeSha256Only(),
      keepOurClassNames(root, await readTsconfig(root)),
      foldSdkSchemaKeys(),
      compactSdkErrors(),
      slimSdkManifests(),
    ],
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error(`esbuild produced no output for handlers/${name}.ts`);
  if (Object.keys(result.metafile.inputs).some((input) => input.endsWith('lib/policy/read-policy-set.ts')))
    throw new Error(
      `handlers/${name}.ts: lib/policy/read-policy-set.ts was bundled instead of the built reader`,
    );
  if (Object.keys(result.metafile.inputs).some((input) => input.endsWith('lib/hygiene/baseline-schema.ts')))
    throw new Error(
      `handlers/${name}.ts: lib/hygiene/baseline-schema.ts was bundled instead of the built baseline check`,
    );
  const contributing = Object.values(result.metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
  if (contributing.some((input) => ENDPOINT_DISCOVERY_MIDDLEWARE.test(input)))
    throw new Error(
      `handlers/${name}.ts: DynamoDB endpoint discovery's middleware is bundled, so its cache cannot be a stub`,
    );
  for (const input of Object.keys(result.metafile.inputs)) {
    const pkg = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(input)?.[1];
    if (pkg && (FORBIDDEN_IN_BUNDLE as readonly string[]).includes(pkg)) {
      throw new Error(
        `handlers/${name}.ts: bundle includes ${pkg} (${input}); Lambda reads the JSON the build writes and needs no ${FORBIDDEN_IN_BUNDLE.join('/')}`,
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
  return { code: file.text, metafile: result.metafile };
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
  const policySetJson = await compilePolicySet(root, policiesDir, options.now);
  const hygieneBaselineJson = names.includes('hygiene-sweep')
    ? await compileHygieneBaseline(root, policiesDir)
    : null;
  const bundles = await Promise.all(
    names.map(async (name) => ({
      name,
      code: await bundleHandler(root, name, {
        policySetSha256: policySetFileSha256(policySetJson),
        ...(hygieneBaselineJson === null ? {} : { baselineSha256: baselineJsonSha256(hygieneBaselineJson) }),
      }),
    })),
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
    a.bundleBytes > BUNDLE_BUDGETS[a.name]
      ? `OVER ${kb(BUNDLE_BUDGETS[a.name])}`
      : `ok (${kb(BUNDLE_BUDGETS[a.name])})`,
    a.bundleBytes <= BUNDLE_GOAL_BYTES ? 'yes' : 'no',
  ]);
  const header = ['function', 'bytes', '', 'gzip bytes', '', 'zip bytes', 'budget', '≤ 350 KB'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** What `node scripts/build.mjs` builds without options: every function, then both forms of the CLI. */
const BUILD_USAGE = `usage: node scripts/build.mjs [--functions] [--cli] [--action] [--now ISO-8601]
       node scripts/build.mjs --analyze [${FUNCTIONS.join('|')}]…
  (no part named: all three; --now validates the policies as of that time, default now)`;

/**
 * Entry point used by scripts/build.mjs. Returns the process exit code.
 * Parts: `--functions` (the Lambda zips in .build/), `--cli` (dist/cli/gatekeeper.mjs, the package's bin),
 * `--action` (action/dist/index.mjs, the committed GitHub Action entry); none named builds all three.
 * `--analyze [function…]` bundles without writing anything and prints, per function, what the bundle is made
 * of (packages and our folders, largest first).
 */
export async function runBuild(io: {
  root: string;
  argv?: readonly string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}): Promise<number> {
  let parsed: ReturnType<typeof parseBuildArgs>;
  try {
    parsed = parseBuildArgs(io.argv ?? []);
  } catch (error) {
    io.stderr.write(`${BUILD_USAGE}\n(${error instanceof Error ? error.message : String(error)})\n`);
    return 2;
  }
  try {
    if (parsed.analyze) {
      const names = (parsed.names.length > 0 ? parsed.names : FUNCTIONS) as readonly FunctionName[];
      for (const name of names) {
        const { code, metafile } = await bundleHandlerWithMetafile(io.root, name);
        io.stdout.write(`${formatAnalysis(name, code, metafile)}\n\n`);
      }
      return 0;
    }
    const all = !parsed.functions && !parsed.cli && !parsed.action;
    if (all || parsed.functions) {
      const artifacts = await buildFunctions({ root: io.root, ...(parsed.now ? { now: parsed.now } : {}) });
      io.stdout.write(`${formatSizeReport(artifacts)}\n`);
    }
    const bundles = [...(all || parsed.cli ? ['cli'] : []), ...(all || parsed.action ? ['action'] : [])];
    if (bundles.length > 0) {
      // Loaded only here: the CLI bundles are a separate part of the build.
      const { buildCliBundles } = await import('./build-cli.ts');
      for (const b of await buildCliBundles(io.root, bundles as ('cli' | 'action')[]))
        io.stdout.write(`${b.path}  ${b.bytes} bytes (${(b.bytes / 1024).toFixed(1)} KB)\n`);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function parseBuildArgs(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      analyze: { type: 'boolean' },
      functions: { type: 'boolean' },
      cli: { type: 'boolean' },
      action: { type: 'boolean' },
      now: { type: 'string' },
    },
  });
  const invalid = positionals.filter((a) => !(FUNCTIONS as readonly string[]).includes(a));
  if (invalid.length > 0) throw new Error(`unknown function: ${invalid.join(', ')}`);
  if (positionals.length > 0 && !values.analyze) throw new Error('functions are named only with --analyze');
  let now: Date | undefined;
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.now) || !Number.isFinite(now.getTime()))
      throw new Error(`--now must be an ISO-8601 date-time, got "${values.now}"`);
  }
  return {
    analyze: values.analyze === true,
    functions: values.functions === true,
    cli: values.cli === true,
    action: values.action === true,
    now,
    names: positionals,
  };
}

/** One line of `--analyze`: a package (node_modules) or a folder of ours, with the minified bytes it adds. */
export interface BundleContributor {
  readonly name: string;
  readonly bytes: number;
  readonly files: number;
}

/**
 * Groups the bytes esbuild attributes to each input into packages (`@smithy/core`, `yaml`) and our own
 * folders (`lib/policy`, `handlers`), largest first. Bytes are the input's share of the minified output,
 * so the sum is the bundle size minus esbuild's runtime glue.
 */
export function bundleContributors(metafile: Metafile): BundleContributor[] {
  const groups = new Map<string, { bytes: number; files: number }>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(input)?.[1];
      const name = pkg
        ? pkg.replace('\\', '/')
        : input
            .replace(/^gatekeeper-stub:/, '')
            .split(/[\\/]/)
            .slice(0, -1)
            .join('/') || input;
      const group = groups.get(name) ?? { bytes: 0, files: 0 };
      group.bytes += bytesInOutput;
      group.files += 1;
      groups.set(name, group);
    }
  }
  return [...groups]
    .map(([name, g]) => ({ name, ...g }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** The largest single input files, for finding what to cut inside a package. */
export function largestInputs(metafile: Metafile, count: number): { path: string; bytes: number }[] {
  return Object.values(metafile.outputs)
    .flatMap((output) => Object.entries(output.inputs).map(([path, i]) => ({ path, bytes: i.bytesInOutput })))
    .sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path))
    .slice(0, count);
}

/** The `--analyze` report of one function: total, top contributors, largest files. */
export function formatAnalysis(name: FunctionName, code: string, metafile: Metafile, top = 25): string {
  const total = Buffer.byteLength(code, 'utf8');
  const pct = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)}%`;
  const lines = [`${name}: ${total} bytes minified (${(total / 1024).toFixed(1)} KB)`];
  const contributors = bundleContributors(metafile);
  for (const c of contributors.slice(0, top)) {
    lines.push(`  ${String(c.bytes).padStart(8)} ${pct(c.bytes)}  ${c.name} (${c.files} files)`);
  }
  const rest = contributors.slice(top);
  if (rest.length > 0) {
    const bytes = rest.reduce((sum, c) => sum + c.bytes, 0);
    lines.push(`  ${String(bytes).padStart(8)} ${pct(bytes)}  ${rest.length} more`);
  }
  lines.push('  largest files:');
  for (const f of largestInputs(metafile, 10)) lines.push(`  ${String(f.bytes).padStart(8)}  ${f.path}`);
  return lines.join('\n');
}
