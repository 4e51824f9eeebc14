import { compareCodeUnits } from '@store/backend-core';
import { FILE_NAME_PREFIX } from './format.js';

/** Process-wide counter, like TensorBoard's `_global_uid`: two writers never share a name. */
let counter = 0;

export interface EventFileName {
  name: string;
  seconds: number;
}

function format(seconds: number, host: string, pid: number, n: number, suffix: string): string {
  return `${FILE_NAME_PREFIX}${String(seconds).padStart(10, '0')}.${host}.${pid}.${n}${suffix}`;
}

/**
 * `events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n><suffix>`. With `previous`, the
 * result is guaranteed to sort after it (TensorBoard reads a run's files in name order and
 * never returns to an earlier one): if rotating within the same second would not sort later
 * (e.g. n going from 9 to 10), the seconds field is advanced past the previous file's.
 */
export function nextEventFileName(host: string, pid: number, suffix: string, previous?: EventFileName, nowMs = Date.now()): EventFileName {
  const n = counter++;
  let seconds = Math.floor(nowMs / 1000);
  if (previous !== undefined) seconds = Math.max(seconds, previous.seconds);
  let name = format(seconds, host, pid, n, suffix);
  while (previous !== undefined && compareCodeUnits(name, previous.name) <= 0) {
    seconds++;
    name = format(seconds, host, pid, n, suffix);
  }
  return { name, seconds };
}
