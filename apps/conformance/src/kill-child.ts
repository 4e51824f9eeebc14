/**
 * The parent side of the crash cases (SB-CRASH-01, SB-CRASH-02): start a writer child,
 * wait for its `READY` line, then poll the case's predicate every millisecond and SIGKILL
 * the child as soon as it holds — the predicate says "a write is in progress", which a
 * fixed delay cannot promise on a busy machine. The child is killed anyway when the
 * polling budget runs out, when the case is aborted, or after 30 s.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface KillPlan {
  /** The child script (crash-writer.js, orphan-writer.js); it gets `args` as one JSON argument. */
  script: string;
  args: unknown;
  /** Name used in errors ("crash writer"). */
  name: string;
  /** Milliseconds to wait after READY before the first poll (a random delay spreads the kills). */
  delayMs?: number;
  /** Milliseconds of polling after the delay; then the child is killed whatever the predicate says. */
  pollMs: number;
  /** True when the child is where the case wants it to die. */
  killNow(): boolean | Promise<boolean>;
  signal: AbortSignal;
}

const GUARD_MS = 30_000;

/**
 * Runs the plan. Resolves once the child died of our SIGKILL after READY; rejects with the
 * signal's reason when the run was aborted (the child is killed first), and with an error
 * carrying its stderr when it exited on its own or died before READY.
 */
export function runAndKill(plan: KillPlan): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [plan.script, JSON.stringify(plan.args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ready = false;
    let timer: NodeJS.Timeout | undefined;
    let until = 0;
    const kill = (): boolean => child.kill('SIGKILL');
    const poll = (): void => {
      if (until === 0) until = performance.now() + plan.pollMs;
      void Promise.resolve()
        .then(() => plan.killNow())
        .then((now) => {
          if (now || performance.now() >= until || plan.signal.aborted) kill();
          else timer = setTimeout(poll, 1);
        }, kill);
    };
    plan.signal.addEventListener('abort', kill, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!ready && out.includes('READY\n')) {
        ready = true;
        timer = setTimeout(poll, plan.delayMs ?? 0);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const guard = setTimeout(kill, GUARD_MS);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(guard);
      clearTimeout(timer);
      plan.signal.removeEventListener('abort', kill);
      if (plan.signal.aborted) {
        reject(plan.signal.reason);
        return;
      }
      if (!ready || sig !== 'SIGKILL') {
        reject(new Error(`${plan.name} exited before it was killed (code ${code}, signal ${sig}): ${err.slice(0, 2000)}`));
        return;
      }
      resolve();
    });
  });
}

/** The lines of a child's kill-safe log (see child-process.ts); none when it does not exist yet. */
export function logLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}
