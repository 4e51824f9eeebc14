import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, type Limits } from './context.js';
import { createServer, VERSION } from './server.js';

const USAGE = `Usage: store-server [options]

Serves a data directory over HTTP: files, event logs and TensorBoard runs.

Options:
  --data DIR            data directory, created if missing (env STORE_DATA; default ./data)
  --host HOST           interface to bind (env STORE_HOST; default 127.0.0.1)
  --port N              port, 0 = any free port (env STORE_PORT; default 8787)
  --token TOKEN         require "Authorization: Bearer TOKEN" (env STORE_TOKEN)
  --logdir DIR          TensorBoard log directory (default <data>/runs)
  --max-body BYTES      largest request body (default ${DEFAULT_LIMITS.maxBodyBytes})
  --max-url BYTES       longest request target (default ${DEFAULT_LIMITS.maxUrlBytes})
  --max-batch N         most events or values in one batch (default ${DEFAULT_LIMITS.maxBatchEvents})
  --max-open N          most event logs and run writers open at once (default ${DEFAULT_LIMITS.maxOpenResources})
  --idle-close MS       close a log or writer unused this long (default ${DEFAULT_LIMITS.idleCloseMs})
  -h, --help            show this help
  -v, --version         print the version

SIGINT/SIGTERM: stop accepting, finish in-flight requests, close every log and writer, exit 0.`;

/** How long a graceful stop may take before the process exits with status 1 anyway. */
const STOP_TIMEOUT_MS = 10_000;

function usageError(message: string): number {
  console.error(`store-server: ${message}\n\n${USAGE}`);
  return 2;
}

function positiveInt(value: string | undefined, name: string, allowZero = false): number | undefined | string {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) return `${name} must be a ${allowZero ? 'non-negative' : 'positive'} whole number, got '${value}'`;
  return n;
}

/** Runs the server until a signal stops it; resolves to the exit status (also set on process.exitCode). */
export async function main(argv: string[]): Promise<number> {
  const code = await run(argv);
  if (code !== undefined) process.exitCode = code;
  return code ?? 0;
}

async function run(argv: string[]): Promise<number | undefined> {
  process.stdout.on('error', () => undefined);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        logdir: { type: 'string' },
        'max-body': { type: 'string' },
        'max-url': { type: 'string' },
        'max-batch': { type: 'string' },
        'max-open': { type: 'string' },
        'idle-close': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  const env = process.env;
  const port = positiveInt(values.port ?? env.STORE_PORT ?? '8787', '--port', true);
  if (typeof port === 'string') return usageError(port);
  if (port! > 65535) return usageError(`--port must be at most 65535, got ${port}`);
  const limits: Partial<Limits> = {};
  const limitFlags: Array<[keyof Limits, string]> = [
    ['maxBodyBytes', 'max-body'],
    ['maxUrlBytes', 'max-url'],
    ['maxBatchEvents', 'max-batch'],
    ['maxOpenResources', 'max-open'],
    ['idleCloseMs', 'idle-close'],
  ];
  for (const [key, flag] of limitFlags) {
    const v = positiveInt((values as unknown as Record<string, string | undefined>)[flag], `--${flag}`);
    if (typeof v === 'string') return usageError(v);
    if (v !== undefined) limits[key] = v;
  }
  const dataDir = path.resolve(values.data ?? env.STORE_DATA ?? './data');
  const host = values.host ?? env.STORE_HOST ?? '127.0.0.1';
  const token = values.token ?? env.STORE_TOKEN;

  let server;
  try {
    server = await createServer({ dataDir, limits, ...(token === undefined || token === '' ? {} : { token }), ...(values.logdir === undefined ? {} : { logdir: values.logdir }) });
  } catch (error) {
    console.error(`store-server: cannot start: ${(error as Error).message}`);
    return 1;
  }
  let url: string;
  try {
    url = await server.listen({ host, port: port! });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    console.error(`store-server: cannot listen on ${host}:${port}: ${e.code ?? e.message}`);
    await server.close().catch(() => undefined);
    return 1;
  }
  console.log(`store-server ${VERSION} listening on ${url}`);
  console.log(`  data directory: ${server.ctx.dataDir}`);
  console.log(`  tensorboard logdir: ${server.ctx.logdir}`);
  console.log(`  auth: ${token ? 'bearer token required' : 'none (bound to ' + host + ')'}`);
  console.log(`  try: curl ${url}/health`);
  // Load the packages behind the log and run routes now, off the start-up path, so the
  // first request to them does not pay for it.
  void import('@store/eventlog').catch(() => undefined);
  void import('@store/tfevents').catch(() => undefined);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      console.log(`store-server: ${signal}: finishing in-flight requests and closing logs…`);
      const timer = setTimeout(() => {
        console.error(`store-server: did not stop within ${STOP_TIMEOUT_MS} ms; exiting`);
        process.exit(1);
      }, STOP_TIMEOUT_MS);
      timer.unref();
      server.close().then(
        () => {
          clearTimeout(timer);
          console.log('store-server: stopped');
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(timer);
          console.error(`store-server: error while stopping: ${(error as Error).message}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
