/**
 * Schema validators compiled ahead of time, or none. In the TypeScript sources there are none: load.ts compiles
 * policies/schema/*.json with ajv on first use. The CLI bundles (scripts/build-cli.ts) replace this module with
 * ajv's standalone code for the same schemas and the same options, which saves compiling the schemas at every
 * start of the command (a few hundred milliseconds, most of `gatekeeper evaluate`'s start-up).
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';

export const PRECOMPILED_VALIDATORS: Readonly<
  Record<'Policy' | 'Exceptions' | 'PolicyTest', ValidateFunction>
> | null = null;
