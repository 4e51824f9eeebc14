import type { ConformanceCase } from '../case.js';
import { atomicityCases } from './atomicity.js';
import { byteCases } from './bytes.js';
import { capabilityCases } from './capabilities.js';
import { crashCases } from './crash.js';
import { directoryCases } from './directories.js';
import { lifecycleCases } from './lifecycle.js';
import { listingCases } from './listing.js';
import { onDiskCases } from './on-disk.js';
import { orphanCases } from './orphans.js';
import { pathCases } from './paths.js';
import { persistenceCases } from './persistence.js';

/** Every case, in the order they run. Ids are stable: a retired id is never reused. */
export const ALL_CASES: readonly ConformanceCase[] = Object.freeze([
  ...pathCases,
  ...byteCases,
  ...listingCases,
  ...directoryCases,
  ...atomicityCases,
  ...capabilityCases,
  ...onDiskCases,
  ...lifecycleCases,
  ...persistenceCases,
  ...crashCases,
  ...orphanCases,
]);
