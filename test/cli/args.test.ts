/** The option parser every command uses: what it accepts, and the usage errors that name the option. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OptionKind, type ParsedArgs, parseArgs } from '../../lib/cli/args.ts';
import { UsageError } from '../../lib/cli/errors.ts';

const SPEC: Readonly<Record<string, OptionKind>> = {
  findings: 'single',
  policies: 'single',
  'image-facts': 'multi',
  'dry-run': 'flag',
};

function plain(parsed: ParsedArgs): {
  options: Record<string, readonly string[]>;
  positional: readonly string[];
} {
  return { options: Object.fromEntries(parsed.options), positional: parsed.positional };
}

describe('parseArgs', () => {
  it.each<[string[], Record<string, string[]>, string[]]>([
    [['--findings', 'f.json', 'x'], { findings: ['f.json'] }, ['x']],
    [['--findings=f.json'], { findings: ['f.json'] }, []],
    [['--findings='], { findings: [''] }, []],
    [['--findings=--x'], { findings: ['--x'] }, []],
    [['--policies', '-x'], { policies: ['-x'] }, []],
    [['--findings', '-'], { findings: ['-'] }, []],
    [['-'], {}, ['-']],
    [['--image-facts', 'a', '--image-facts=b'], { 'image-facts': ['a', 'b'] }, []],
    [['--dry-run', 'e.json', '--dry-run'], { 'dry-run': ['true', 'true'] }, ['e.json']],
    [['a', '--', '--findings', '-o', '--'], {}, ['a', '--findings', '-o', '--']],
  ])('%j → options %j, positional %j', (args, options, positional) => {
    expect(plain(parseArgs(args, SPEC))).toEqual({ options, positional });
  });

  it.each<[string[], string]>([
    [['--findings'], 'option "--findings" needs a value'],
    [['--findings', '--dry-run'], 'option "--findings" needs a value'],
    [['--findings', '--'], 'option "--findings" needs a value'],
    [['--image-facts', '--colour'], 'option "--image-facts" needs a value'],
    [['--dry-run=yes'], 'option "--dry-run" takes no value'],
    [['--dry-run='], 'option "--dry-run" takes no value'],
    [['--findings', 'a', '--findings=b'], 'option "--findings" given more than once'],
    [['--colour'], 'unknown option "--colour"'],
    [['--finding=f.json'], 'unknown option "--finding" (did you mean "--findings"?)'],
    [['--dryrun', 'x'], 'unknown option "--dryrun" (did you mean "--dry-run"?)'],
    [['-o', 'json'], 'unknown option "-o"'],
    [['-abc'], 'unknown option "-abc"'],
    [['-5'], 'unknown option "-5"'],
    [['--constructor'], 'unknown option "--constructor"'],
    [['x', '--colour', '--findings'], 'unknown option "--colour"'],
  ])('%j is a usage error: %s', (args, message) => {
    expect(() => parseArgs(args, SPEC)).toThrow(new UsageError(message));
  });

  it('gives back every option value and positional in order, however they are written', () => {
    const word = fc.stringMatching(/^[a-z0-9./][a-z0-9./=-]{0,8}$/);
    const item = fc.oneof(
      fc.record({ name: fc.constant('image-facts'), value: word, inline: fc.boolean() }),
      fc.record({ name: fc.constant('dry-run') }),
      fc.record({ positional: word }),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), (items) => {
        const args: string[] = [];
        const facts: string[] = [];
        const positional: string[] = [];
        let flags = 0;
        for (const it of items) {
          if ('positional' in it) {
            args.push(it.positional);
            positional.push(it.positional);
          } else if (it.name === 'dry-run') {
            args.push('--dry-run');
            flags++;
          } else {
            args.push(...(it.inline ? [`--image-facts=${it.value}`] : ['--image-facts', it.value]));
            facts.push(it.value);
          }
        }
        const parsed = parseArgs(args, SPEC);
        expect(parsed.positional).toEqual(positional);
        expect(parsed.options.get('image-facts')).toEqual(facts.length > 0 ? facts : undefined);
        expect(parsed.options.get('dry-run')?.length ?? 0).toBe(flags);
      }),
    );
  });
});
