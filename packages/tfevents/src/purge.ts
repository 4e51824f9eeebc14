import { FILE_VERSION } from './format.js';
import { checkInteger } from './input.js';
import { encodeEvent } from './proto/index.js';

/**
 * The events `SummaryWriter({ purgeStep: N })` writes after the file_version record of its
 * first file, all at step N: PyTorch's two (`SummaryWriter(purge_step=N)`: a `file_version`
 * event and a `SessionLog{status: START}` event) plus a second START.
 *
 * Why the second: TensorBoard's legacy EventAccumulator purges on any START, dropping every
 * event of the run with step ≥ N read before (the orphaned steps of the crashed run). The
 * plugin EventAccumulator, which feeds the data provider the dashboards read, treats the
 * first START it sees in a run as the session's beginning and only purges on a later one, so
 * with PyTorch's single START it keeps the orphaned steps (checked against TensorBoard 2.21 in
 * test/tensorboard-oracle.test.ts). With two, both purge.
 */
export function purgeEventPayloads(purgeStep: number, wallTime: number): Uint8Array[] {
  checkInteger(purgeStep, 'purgeStep', 0);
  const start = encodeEvent({ wallTime, step: purgeStep, sessionLog: { status: 'START' } });
  return [encodeEvent({ wallTime, step: purgeStep, fileVersion: FILE_VERSION }), start, start];
}
