/**
 * scripts/build-functions.ts compactSdkErrorClasses: the SDK exception classes the bundles carry in a smaller
 * form must be the same classes. Each client's models/errors.js is loaded as published and as rewritten, every
 * exception is constructed from the same response fields, and the errors are compared property by property.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compactSdkErrorClasses } from '../../scripts/build-functions.ts';

const require = createRequire(import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'gatekeeper-sdk-errors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Everything observable about an error: own keys in order, their descriptors, prototype chain, text. */
function describeError(error: object): unknown {
  const own = Reflect.ownKeys(error).map(String);
  const descriptors = own.map((key) => {
    const d = Object.getOwnPropertyDescriptor(error, key) as PropertyDescriptor;
    return { key, ...d, value: key === 'stack' ? 'stack' : d.value };
  });
  const chain: unknown[] = [];
  for (let p = Object.getPrototypeOf(error); p; p = Object.getPrototypeOf(p)) {
    const ctor = p.constructor as { shapeId?: string; name?: string };
    chain.push(ctor.shapeId ?? ctor.name);
  }
  return { own, descriptors, chain, text: String(error) };
}

async function load(client: string, source: string, variant: string): Promise<Record<string, unknown>> {
  const models = dirname(require.resolve(`@aws-sdk/${client}/dist-es/models/errors.js`));
  const file = join(scratch, `${client}-${variant}.mjs`);
  const absolute = source.replace(/from "\.\/(\w+)"/, (_m, base: string) => {
    return `from ${JSON.stringify(pathToFileURL(join(models, `${base}.js`)).href)}`;
  });
  writeFileSync(file, absolute);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

describe('compactSdkErrorClasses', () => {
  it.each(['client-ecr', 'client-sns', 'client-dynamodb'])(
    'rewrites every exception of %s into an identical class',
    async (client) => {
      const source = readFileSync(require.resolve(`@aws-sdk/${client}/dist-es/models/errors.js`), 'utf8');
      const compact = compactSdkErrorClasses(source);
      expect(compact.length).toBeLessThan(source.length / 2);
      expect(compact).not.toContain('export class ');

      const published = await load(client, source, 'published');
      const rewritten = await load(client, compact, 'compact');
      expect(Object.keys(rewritten)).toEqual(Object.keys(published));
      const responses = [
        { $metadata: { httpStatusCode: 400 } },
        {
          message: 'refused',
          $metadata: { httpStatusCode: 500, requestId: 'r-1' },
          Message: 'Refused',
          Item: { pk: { S: 'a' } },
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
          extra: 1,
        },
      ];
      for (const [name, Published] of Object.entries(published)) {
        const Rewritten = rewritten[name] as new (opts: object) => Error;
        for (const response of responses) {
          const a = new (Published as new (opts: object) => Error)(response);
          const b = new Rewritten(response);
          expect(describeError(b), name).toEqual(describeError(a));
          expect(b instanceof Rewritten && b instanceof Error, name).toBe(true);
        }
        expect((Rewritten as unknown as { shapeId: string }).shapeId).toBe(
          (Published as unknown as { shapeId: string }).shapeId,
        );
      }
    },
  );

  it('leaves a file that is not entirely of the generated form unchanged', () => {
    const source = readFileSync(require.resolve('@aws-sdk/client-ecr/dist-es/models/errors.js'), 'utf8');
    const extraClass = `${source}export class Odd extends Error {}\n`;
    expect(compactSdkErrorClasses(extraClass)).toBe(extraClass);
    const extraStatement = source.replace('Object.setPrototypeOf(this, ', 'this.x = 1;\n        $&');
    expect(compactSdkErrorClasses(extraStatement)).toBe(extraStatement);
  });
});
