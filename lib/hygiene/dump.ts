/**
 * The offline dump `gatekeeper hygiene plan --repositories FILE` reads: what the AWS CLI returns, put together.
 *
 * ```json
 * {
 *   "repositories": { "repositories": [ … ] },          // DescribeRepositories response (or a list of its pages)
 *   "lifecyclePolicies": {                              // one entry per repository, required:
 *     "team/api": { "lifecyclePolicyText": "{…}" },     //   GetLifecyclePolicy response, or the text itself,
 *     "team/web": null                                  //   or null (LifecyclePolicyNotFoundException)
 *   },
 *   "registryScanningConfiguration": { "scanningConfiguration": { … } },  // optional GetRegistryScanningConfiguration
 *   "images": { "team/api": { "imageDetails": [ … ] } }                   // optional DescribeImages per repository
 * }
 * ```
 * Without `images`, the in-use protection check is skipped (and the plan says so). Without
 * `registryScanningConfiguration`, basic scanning with no registry rules is assumed.
 */
import { isRecord } from '../findings/json-reader.ts';
import type { RegistryScanningConfiguration } from '../registry/registry.ts';
import type { RepositoryState } from './drift.ts';
import { type HygieneProblem, LifecyclePolicyInvalidError } from './errors.ts';
import { imagesFromDescribeImages } from './lifecycle-images.ts';
import { registryScanningFromJson } from './scanning.ts';

export interface HygieneDump {
  readonly repositories: readonly RepositoryState[];
  readonly registryScanning: RegistryScanningConfiguration | null;
}

/**
 * Parses a dump. Throws `LifecyclePolicyInvalidError` (an InvalidInputError) listing every problem with its path.
 * @example parseHygieneDump(JSON.parse(readFileSync('dump.json', 'utf8')), 'dump.json').repositories.length
 */
export function parseHygieneDump(json: unknown, file: string): HygieneDump {
  const problems: HygieneProblem[] = [];
  const add = (path: string, message: string) => problems.push({ file, path, message });
  if (!isRecord(json))
    throw new LifecyclePolicyInvalidError([
      { file, path: '', message: 'expected a JSON object (see the dump format)' },
    ]);
  const pages = Array.isArray(json.repositories) ? json.repositories : [json.repositories];
  const rawRepos: { raw: Record<string, unknown>; path: string }[] = [];
  pages.forEach((page, p) => {
    const base = Array.isArray(json.repositories) ? `repositories[${p}]` : 'repositories';
    if (!isRecord(page) || !Array.isArray(page.repositories)) {
      add(base, 'expected a DescribeRepositories response ({ "repositories": [ … ] }) or a list of them');
      return;
    }
    page.repositories.forEach((r, i) => {
      if (!isRecord(r)) add(`${base}.repositories[${i}]`, 'must be an object');
      else rawRepos.push({ raw: r, path: `${base}.repositories[${i}]` });
    });
  });
  const policies = json.lifecyclePolicies;
  if (!isRecord(policies)) add('lifecyclePolicies', 'expected an object keyed by repository name');
  const images = json.images;
  if (images !== undefined && !isRecord(images)) add('images', 'expected an object keyed by repository name');
  let registryScanning: RegistryScanningConfiguration | null = null;
  if (json.registryScanningConfiguration !== undefined) {
    const r = registryScanningFromJson(json.registryScanningConfiguration);
    if (r.problem)
      add(
        `registryScanningConfiguration.${r.problem.split(':')[0]}`,
        r.problem.slice(r.problem.indexOf(':') + 2),
      );
    registryScanning = r.config;
  }
  const states: RepositoryState[] = [];
  const names = new Set<string>();
  for (const { raw, path } of rawRepos) {
    const name = raw.repositoryName;
    if (typeof name !== 'string' || name.length === 0) {
      add(`${path}.repositoryName`, 'must be a repository name');
      continue;
    }
    if (names.has(name)) {
      add(`${path}.repositoryName`, `"${name}" is listed twice`);
      continue;
    }
    names.add(name);
    const mutability = raw.imageTagMutability ?? 'MUTABLE';
    if (typeof mutability !== 'string') add(`${path}.imageTagMutability`, 'must be a string');
    const filters = raw.imageTagMutabilityExclusionFilters ?? [];
    const exclusions: string[] = [];
    if (!Array.isArray(filters)) add(`${path}.imageTagMutabilityExclusionFilters`, 'must be a list');
    else {
      filters.forEach((f, i) => {
        if (!isRecord(f) || typeof f.filter !== 'string')
          add(`${path}.imageTagMutabilityExclusionFilters[${i}].filter`, 'must be a string');
        else exclusions.push(f.filter);
      });
    }
    const scanCfg = raw.imageScanningConfiguration;
    const scanOnPush = isRecord(scanCfg) && scanCfg.scanOnPush === true;
    let text: string | null = null;
    if (isRecord(policies)) {
      if (!(name in policies)) {
        add(
          `lifecyclePolicies.${name}`,
          'missing: dump GetLifecyclePolicy for every repository (null when it has none)',
        );
        continue;
      }
      const entry = policies[name];
      if (entry === null) text = null;
      else if (typeof entry === 'string') text = entry;
      else if (isRecord(entry) && typeof entry.lifecyclePolicyText === 'string')
        text = entry.lifecyclePolicyText;
      else {
        add(`lifecyclePolicies.${name}`, 'expected a GetLifecyclePolicy response, the policy text, or null');
        continue;
      }
    }
    let repoImages: RepositoryState['images'] = null;
    if (isRecord(images) && images[name] !== undefined) {
      try {
        repoImages = imagesFromDescribeImages(images[name], file);
      } catch (error) {
        for (const p of (error as LifecyclePolicyInvalidError).problems ?? [])
          add(`images.${name}.${p.path}`, p.message);
        continue;
      }
    }
    states.push({
      name,
      lifecyclePolicyText: text,
      tagMutability: typeof mutability === 'string' ? mutability : 'MUTABLE',
      tagMutabilityExclusions: exclusions,
      scanOnPush,
      images: repoImages,
    });
  }
  if (problems.length > 0) throw new LifecyclePolicyInvalidError(problems);
  return { repositories: states, registryScanning };
}
