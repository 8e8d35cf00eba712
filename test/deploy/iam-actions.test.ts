/**
 * IAM completeness and least privilege: each function's role in the packaged template grants every AWS API
 * action its bundle can call, and nothing else except the documented exceptions in
 * scripts/template-checks/iam-allowlist.json. The analysis itself is tested on small inputs and planted
 * violations, so the check cannot pass vacuously.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleHandlerWithMetafile, FUNCTIONS, type FunctionName } from '../../scripts/build-functions.ts';
import {
  bundledCommands,
  bundledInputs,
  checkExceptions,
  commandSitesInSource,
  compareGrants,
  grantedActions,
  type IamAllowlist,
  isReferenced,
  loadIamAllowlist,
  type ReachableAction,
  reachableActions,
} from '../../scripts/template-checks/iam-actions.ts';
import { cloneTemplate, type Template } from '../../scripts/template-checks/index.ts';
import type { JsonObject } from '../../scripts/template-checks/template.ts';
import { ensurePackaged, ROOT } from './support/packaged.ts';

interface Analysed {
  readonly inputs: string[];
  readonly reachable: ReachableAction[];
  readonly handlerSource: string;
}

let template: Template;
const allowlist: IamAllowlist = loadIamAllowlist();
const analysed = new Map<FunctionName, Analysed>();

beforeAll(async () => {
  template = await ensurePackaged();
  await Promise.all(
    FUNCTIONS.map(async (name) => {
      const { code, metafile } = await bundleHandlerWithMetafile(ROOT, name);
      const inputs = bundledInputs(metafile);
      analysed.set(name, {
        inputs,
        reachable: reachableActions({ root: ROOT, inputs, code, allowlist }),
        handlerSource: readFileSync(join(ROOT, 'handlers', `${name}.ts`), 'utf8'),
      });
    }),
  );
}, 180_000);

const of = (name: FunctionName): Analysed => {
  const found = analysed.get(name);
  if (!found) throw new Error(`${name} was not analysed`);
  return found;
};

function roleOf(t: Template, name: FunctionName): string {
  const fn = Object.values(t.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === `.build/${name}/index.handler`,
  );
  const role = (fn?.Properties?.Role as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
  if (!role) throw new Error(`no role for ${name}`);
  return role;
}

function problemsOf(t: Template, name: FunctionName): string[] {
  const { reachable, handlerSource } = of(name);
  return [
    ...compareGrants(name, reachable, grantedActions(t, roleOf(t, name)), allowlist).map((p) => p.message),
    ...checkExceptions(name, handlerSource, reachable, allowlist),
  ];
}

/** The inline policy statements of a role in a (cloned) template, for planting. */
function statementsOf(t: Template, roleId: string): JsonObject[] {
  const policies = t.Resources[roleId]?.Properties?.Policies as {
    PolicyDocument: { Statement: JsonObject[] };
  }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

function withoutAction(t: Template, roleId: string, action: string): Template {
  const clone = cloneTemplate(t);
  for (const statement of statementsOf(clone, roleId)) {
    if (Array.isArray(statement.Action))
      statement.Action = statement.Action.filter((a: unknown) => a !== action);
    else if (statement.Action === action) statement.Action = [];
  }
  return clone;
}

function withAction(t: Template, roleId: string, action: string): Template {
  const clone = cloneTemplate(t);
  const policies = clone.Resources[roleId]?.Properties?.Policies as {
    PolicyDocument: { Statement: JsonObject[] };
  }[];
  policies[0]?.PolicyDocument.Statement.push({ Effect: 'Allow', Action: action, Resource: '*' });
  return clone;
}

describe('each role grants exactly what its function can call', () => {
  it.each([...FUNCTIONS])('%s', (name) => {
    expect(problemsOf(template, name)).toEqual([]);
  });

  it('finds the calls of every function (no function is analysed as calling nothing)', () => {
    for (const name of FUNCTIONS) {
      const actions = of(name).reachable.map((r) => r.action);
      // The registry snapshot only reads the registry and the ledger, and writes its S3 objects.
      const expected =
        name === 'registry-snapshot'
          ? ['ecr:DescribeImages', 'ecr:DescribeImageScanFindings', 'dynamodb:GetItem', 's3:PutObject']
          : ['ecr:BatchGetImage', 'ecr:PutImage', 'sns:Publish', 'dynamodb:PutItem'];
      expect(actions, name).toEqual(expect.arrayContaining(expected));
    }
  });

  it('lets a restore be decided by imagePushed (the reason the role grew)', () => {
    const actions = of('image-pushed').reachable.map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'ecr:DescribeImageScanFindings',
        'ecr:GetDownloadUrlForLayer',
        'ecr:UpdateImageStorageClass',
      ]),
    );
    expect(grantedActions(template, roleOf(template, 'image-pushed'))).toContain('inspector2:ListFindings');
  });

  it('leaves hygiene administration out of the gate functions although the adapter code is bundled', () => {
    const admin = [
      'ecr:GetLifecyclePolicy',
      'ecr:PutLifecyclePolicy',
      'ecr:PutImageTagMutability',
      'ecr:PutImageScanningConfiguration',
    ];
    for (const name of FUNCTIONS) {
      const bundled = [...bundledCommands(of(name).inputs).values()];
      const reachable = of(name).reachable.map((r) => r.action);
      // The commands are in every bundle (EcrRegistry and DynamoDbLedger are single classes) …
      expect(bundled, name).toEqual(expect.arrayContaining(admin));
      // … but only the sweep references the methods that send them.
      for (const action of admin) {
        expect(reachable.includes(action), `${name} ${action}`).toBe(name === 'hygiene-sweep');
      }
      // No function scans the table: the rejudge function lists the policy versions in use with a Scan of the
      // ledger's byPolicyVersion index (granted on the index only); the sweep queries the byRecheck index.
      expect(reachable.includes('dynamodb:Scan'), `${name} dynamodb:Scan`).toBe(name === 'rejudge');
    }
  });

  it('counts Inspector coverage only for the sweep and the registry snapshot (in-use data)', () => {
    for (const name of FUNCTIONS) {
      const reachable = of(name).reachable.map((r) => r.action);
      expect(reachable.includes('inspector2:ListCoverage'), name).toBe(
        name === 'hygiene-sweep' || name === 'registry-snapshot',
      );
    }
  });

  it('lets the registry snapshot write only snapshot objects: no tag, ledger, alert or other S3 write', () => {
    const granted = grantedActions(template, roleOf(template, 'registry-snapshot'));
    for (const action of [
      'ecr:PutImage',
      'ecr:BatchDeleteImage',
      'dynamodb:PutItem',
      'sns:Publish',
      's3:DeleteObject',
      's3:GetObject',
    ])
      expect(granted, action).not.toContain(action);
    expect(granted).toContain('s3:PutObject');
  });
});

describe('planted violations are caught', () => {
  const cases: { name: string; fn: FunctionName; plant: (t: Template) => Template; expected: RegExp }[] = [
    {
      name: 'a reachable action removed',
      fn: 'basic-scan-completed',
      plant: (t) => withoutAction(t, 'BasicScanCompletedRole', 'ecr:PutImage'),
      expected:
        /basic-scan-completed: role lacks ecr:PutImage, which its bundle can call \(lib\/registry\/ecr-tag-writes\.ts#putTag\)/,
    },
    {
      name: 'the restore path of imagePushed without findings',
      fn: 'image-pushed',
      plant: (t) => withoutAction(t, 'ImagePushedRole', 'ecr:DescribeImageScanFindings'),
      expected: /image-pushed: role lacks ecr:DescribeImageScanFindings/,
    },
    {
      name: 'an implied companion removed',
      fn: 'finding-changed',
      plant: (t) => withoutAction(t, 'FindingChangedRole', 'inspector2:ListFindings'),
      expected:
        /finding-changed: role lacks inspector2:ListFindings.*implied by ecr:DescribeImageScanFindings/,
    },
    {
      name: 'the sweep without its recheck index query',
      fn: 'hygiene-sweep',
      plant: (t) => withoutAction(t, 'HygieneSweepRole', 'dynamodb:Query'),
      expected:
        /hygiene-sweep: role lacks dynamodb:Query.*(listDecisionsWithExpiredWaivers|listDecisionsPastDeadline)/,
    },
    {
      name: 'an administrative action granted to a gate function',
      fn: 'finding-changed',
      plant: (t) => withAction(t, 'FindingChangedRole', 'ecr:PutLifecyclePolicy'),
      expected: /finding-changed: role grants ecr:PutLifecyclePolicy, which its bundle never calls/,
    },
    {
      name: 'an action excepted for this function granted anyway',
      fn: 'basic-scan-completed',
      plant: (t) => withAction(t, 'BasicScanCompletedRole', 'ecr:StartImageScan'),
      expected: /basic-scan-completed: role grants ecr:StartImageScan, which its bundle never calls/,
    },
    {
      name: 'a service no bundle uses',
      fn: 'image-pushed',
      plant: (t) => withAction(t, 'ImagePushedRole', 's3:GetObject'),
      expected: /image-pushed: role grants s3:GetObject, which its bundle never calls/,
    },
    {
      name: 'a wildcard action',
      fn: 'hygiene-sweep',
      plant: (t) => withAction(t, 'HygieneSweepRole', 'ecr:*'),
      expected: /hygiene-sweep: role grants the wildcard action ecr:\*/,
    },
  ];

  it.each(cases)('$name', ({ fn, plant, expected }) => {
    // Act
    const problems = problemsOf(plant(template), fn);

    // Assess
    expect(problems.join('\n')).toMatch(expected);
  });

  it('counts actions granted through a separate AWS::IAM::Policy attached to the role', () => {
    const clone = cloneTemplate(template);
    (clone.Resources as Record<string, unknown>).ExtraPolicy = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'extra',
        Roles: [{ Ref: 'ImagePushedRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ecr:ListImages', Resource: '*' }],
        },
      },
    };
    expect(problemsOf(clone, 'image-pushed').join('\n')).toMatch(/role grants ecr:ListImages/);
  });

  it('voids an exception whose proof no longer matches the handler', () => {
    const { reachable } = of('basic-scan-completed');
    const rewired = of('basic-scan-completed').handlerSource.replace(
      "['scan-completed']",
      "['scan-completed', 'image-pushed']",
    );
    expect(checkExceptions('basic-scan-completed', rewired, reachable, allowlist).join('\n')).toMatch(
      /exception for ecr:StartImageScan .* no longer holds/,
    );
  });

  it('reports an exception that is no longer needed', () => {
    const { reachable, handlerSource } = of('finding-changed');
    const withoutScan = reachable.filter((r) => r.action !== 'ecr:StartImageScan');
    expect(checkExceptions('finding-changed', handlerSource, withoutScan, allowlist)).toEqual([
      'finding-changed: the exception for ecr:StartImageScan is stale: the bundle cannot reach it anyway',
    ]);
  });
});

describe('the bundle analysis', () => {
  const source = [
    "import { ACommand, BCommand, CCommand, DCommand } from '@aws-sdk/client-ecr';",
    '/** @example await client.send(new ZCommand({})) */',
    'export class Adapter {',
    '  readonly #client: Client;',
    '  async first(): Promise<void> {',
    '    await this.#client.send(new ACommand({}));',
    '    await this.#helper();',
    '  }',
    '',
    '  async *second(): AsyncIterable<string> {',
    '    yield String(await this.#client.send(new CCommand({})));',
    '  }',
    '',
    '  async #helper(): Promise<void> {',
    '    await this.#client.send(new BCommand({}));',
    '  }',
    '',
    '  async #unused(): Promise<void> {',
    '    await this.#client.send(new ECommand({}));',
    '  }',
    '}',
    '',
    'export async function plain(client: Client): Promise<void> {',
    '  await client.send(new DCommand({}));',
    '}',
  ].join('\n');

  it('attributes each command to the public method or function that sends it', () => {
    const sites = commandSitesInSource('lib/x/adapter.ts', source);
    expect(Object.fromEntries([...sites].map(([command, s]) => [command, s.map((x) => x.method)]))).toEqual({
      ACommand: ['first'],
      BCommand: ['first'],
      CCommand: ['second'],
      DCommand: [null],
    });
  });

  it.each([
    { code: 'class a{async first(e){}async*second(){}}', method: 'first', referenced: false },
    { code: 'class a{async first(e){}}r.first(x)', method: 'first', referenced: true },
    {
      code: 'class a{async*second(){}}for await(const t of r.second());',
      method: 'second',
      referenced: true,
    },
    { code: 'class a{first(){}}const{first:f}=r;', method: 'first', referenced: true },
    { code: 'class a{first(){}}r.firstly(x)', method: 'first', referenced: false },
  ])('isReferenced($code, $method) = $referenced', ({ code, method, referenced }) => {
    expect(isReferenced(code, method)).toBe(referenced);
  });

  const commandModule = (client: string, operation: string) =>
    `node_modules/@aws-sdk/${client}/dist-es/commands/${operation}Command.js`;

  it('counts commands of referenced methods and plain functions, and SDK commands nobody constructs', () => {
    // Prepare
    const inputs = [
      'lib/x/adapter.ts',
      commandModule('client-ecr', 'A'),
      commandModule('client-ecr', 'B'),
      commandModule('client-ecr', 'C'),
      commandModule('client-ecr', 'D'),
      commandModule('client-dynamodb', 'DescribeEndpoints'),
      commandModule('client-sns', 'Publish'),
    ];

    // Act
    const reachable = reachableActions({
      root: '/nowhere',
      inputs,
      code: 'class q{async first(){}async*second(){}}q.first()',
      allowlist,
      readSource: (path) => (path === 'lib/x/adapter.ts' ? source : null),
    });

    // Assess: C is sent only by `second`, never referenced; DescribeEndpoints is the SDK's own (allowlisted);
    // Publish is constructed by none of the sources, so it counts.
    expect(reachable).toEqual([
      { action: 'ecr:A', via: ['lib/x/adapter.ts#first'] },
      { action: 'ecr:B', via: ['lib/x/adapter.ts#first'] },
      { action: 'ecr:D', via: ['lib/x/adapter.ts'] },
      { action: 'sns:Publish', via: ['sdk'] },
    ]);
  });

  it('refuses an SDK client without a known IAM prefix', () => {
    expect(() => bundledCommands([commandModule('client-lambda', 'Invoke')])).toThrow(
      /no IAM prefix known for @aws-sdk\/client-lambda/,
    );
  });
});
