import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { PROGRESS_LOG_ENV, readProgressLog } from './progress-log.js';

export interface KillAfterCueOptions {
  /** What `node` runs: the child script first, then its arguments. */
  args: readonly string[];
  /**
   * The child's progress log (passed as `$STORE_PROGRESS_LOG`): removed before the run,
   * read after the kill, removed again.
   */
  progressLog: string;
  /**
   * Called with each stdout line of the child (its cues); a number arms the SIGKILL timer
   * for that many ms. Only the first number counts; `undefined` keeps waiting.
   */
  armOn: (cue: string) => number | undefined;
}

export interface KilledChild {
  /** Every whole stdout line the child printed before it died (cues only: they may be cut short by the kill). */
  cues: string[];
  /** Every whole line of the child's progress log: what it had done when it was killed. */
  progress: string[];
}

/**
 * Parent side of a crash test: runs a node child, SIGKILLs it a chosen time after one of its
 * stdout cues, and returns what its progress log says it had done. Stdout only starts the
 * timer; the facts come from the log (see progressLog for why a pipe cannot carry them).
 * Rejects, with the child's stderr, when it ends in any other way than our SIGKILL.
 */
export function killAfterCue(options: KillAfterCueOptions): Promise<KilledChild> {
  const { args, progressLog, armOn } = options;
  rmSync(progressLog, { force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [PROGRESS_LOG_ENV]: progressLog } });
    const cues: string[] = [];
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const cue = out.slice(0, nl);
        out = out.slice(nl + 1);
        cues.push(cue);
        const delayMs = timer === undefined ? armOn(cue) : undefined;
        if (delayMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`child ${args[0] ?? ''} ended on its own (exit ${String(code)}, signal ${String(signal)}): ${err}`));
        return;
      }
      const progress = readProgressLog(progressLog);
      rmSync(progressLog, { force: true });
      resolve({ cues, progress });
    });
  });
}
