/** The module entry: the public API is there, and importing it pulls neither yaml/ajv nor the sweep's AWS wiring. */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as baseline from '../../../lib/hygiene/baseline.ts';
import * as dump from '../../../lib/hygiene/dump.ts';
import * as hygiene from '../../../lib/hygiene/index.ts';
import * as engine from '../../../lib/hygiene/lifecycle-engine.ts';
import * as policy from '../../../lib/hygiene/lifecycle-policy.ts';
import * as plan from '../../../lib/hygiene/plan.ts';
import * as sweep from '../../../lib/hygiene/sweep.ts';
import * as sweepEvent from '../../../lib/hygiene/sweep-event.ts';

describe('lib/hygiene/index.ts', () => {
  it('exports the entry functions themselves (not copies)', () => {
    expect([
      hygiene.previewLifecycle,
      hygiene.checkLifecyclePolicy,
      hygiene.parseLifecyclePolicyText,
      hygiene.loadBaseline,
      hygiene.baselineFromJson,
      hygiene.settingsFor,
      hygiene.parseHygieneDump,
      hygiene.planHygiene,
      hygiene.runSweep,
      hygiene.parseSweepEvent,
    ]).toEqual([
      engine.previewLifecycle,
      policy.checkLifecyclePolicy,
      policy.parseLifecyclePolicyText,
      baseline.loadBaseline,
      baseline.baselineFromJson,
      baseline.settingsFor,
      dump.parseHygieneDump,
      plan.planHygiene,
      sweep.runSweep,
      sweepEvent.parseSweepEvent,
    ]);
    expect(Object.keys(hygiene)).not.toContain('getSweepDependencies');
  });

  it('imports neither yaml nor ajv statically, nor the gate, Inspector or AWS SDK wiring', async () => {
    // Prepare: the YAML reader is loaded on demand (only for .yaml baselines); keep that import out of the graph.
    const result = await build({
      entryPoints: ['lib/hygiene/index.ts'],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      external: ['*/safe-yaml.ts'],
    });

    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /node_modules\/(yaml|ajv|@aws-sdk)\//.test(i))).toEqual([]);
    expect(inputs.filter((i) => /^lib\/(gate|inspector|ledger)\//.test(i))).toEqual([]);
    expect(inputs).not.toContain('lib/wiring/sweep-dependencies.ts');
    expect(inputs).toContain('lib/hygiene/sweep.ts');
  });
});
