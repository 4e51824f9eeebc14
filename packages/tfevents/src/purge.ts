import { FILE_VERSION } from './format.js';
import { checkInteger } from './input.js';
import { encodeEvent } from './proto/index.js';

/**
 * The two events PyTorch's `SummaryWriter(purge_step=N)` writes at the start of its first
 * file: a `file_version` event and a `SessionLog{status: START}` event, both at step N.
 * TensorBoard's EventAccumulator treats the START as a restart and drops every event of the
 * run with step ≥ N that it read before (the orphaned steps of the crashed run).
 */
export function purgeEventPayloads(purgeStep: number, wallTime: number): Uint8Array[] {
  checkInteger(purgeStep, 'purgeStep', 0);
  return [
    encodeEvent({ wallTime, step: purgeStep, fileVersion: FILE_VERSION }),
    encodeEvent({ wallTime, step: purgeStep, sessionLog: { status: 'START' } }),
  ];
}
