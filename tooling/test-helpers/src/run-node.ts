import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** How a child process ended and what it wrote. */
export interface NodeRun {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunNodeOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Destroys the reading end of the child's stdout right after spawning, as a reader that
   * went away would (`cli … | head -c0`): the child's first write fails with EPIPE.
   */
  closeStdout?: boolean;
}

/**
 * Runs `node script ...args` to its end with stdin closed and stdout/stderr in pipes (so
 * the child sees no terminal); never rejects for a non-zero exit: the caller checks it.
 */
export function runNode(script: string, args: string[], options: RunNodeOptions = {}): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const SCRIPT = '/usr/bin/script';

/** Whether `runNodeOnTty` can run here (util-linux `script` gives a child a pseudo-terminal). */
export const HAVE_TTY_RUNNER = existsSync(SCRIPT);

/**
 * Runs `node script ...args` on a pseudo-terminal (util-linux `script`), as a person at a
 * terminal would: stdout and stderr are both the terminal, so `output` holds both as the
 * terminal showed them, carriage returns and escape sequences included. Throws when
 * `script` is missing (check HAVE_TTY_RUNNER first and skip, naming it).
 */
export function runNodeOnTty(script: string, args: string[], options: { cwd?: string } = {}): { code: number | null; output: string } {
  if (!HAVE_TTY_RUNNER) throw new Error(`${SCRIPT} (util-linux) is missing: cannot run on a terminal`);
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, script, ...args].map(quote).join(' ');
  const r = spawnSync(SCRIPT, ['-qec', command, '/dev/null'], { encoding: 'utf8', cwd: options.cwd });
  return { code: r.status, output: r.stdout };
}
