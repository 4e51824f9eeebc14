import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './helpers.js';

const run = promisify(execFile);

/** The virtualenv tooling/tensorboard/setup.sh creates (TFEVENTS_VENV overrides). */
export const VENV = process.env.TFEVENTS_VENV ?? path.join(REPO_ROOT, 'tooling/tensorboard/.venv');
export const PYTHON = path.join(VENV, 'bin/python');
export const ORACLE = path.join(REPO_ROOT, 'tooling/tensorboard/oracle.py');
/** Set in CI: a missing TensorBoard is then a failure, not a skip. */
export const REQUIRED = process.env.STORE_REQUIRE_TENSORBOARD === '1';
export const AVAILABLE = existsSync(PYTHON);
export const MISSING_MESSAGE = `TensorBoard oracle skipped: no Python venv at ${VENV} (run tooling/tensorboard/setup.sh; set STORE_REQUIRE_TENSORBOARD=1 to make this a failure)`;

/** Runs oracle.py with `args`; parses its JSON stdout. */
export async function oracle<T>(...args: string[]): Promise<T> {
  const { stdout } = await run(PYTHON, [ORACLE, ...args], { maxBuffer: 1 << 28, env: { ...process.env, PYTHONWARNINGS: 'ignore', TF_CPP_MIN_LOG_LEVEL: '3' } });
  return JSON.parse(stdout) as T;
}
