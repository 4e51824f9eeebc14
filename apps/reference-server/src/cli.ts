import path from 'node:path';
import { parseArgs } from 'node:util';
import type { StorageBackend } from '@store/backend-core';
import { DEFAULT_LIMITS, type Limits } from './context.js';
import { createServer, VERSION } from './server.js';

const USAGE = `Usage: store-server [options]

Serves a data directory over HTTP: files, event logs and TensorBoard runs.
With --s3-bucket the files API serves an S3 bucket instead (logs and runs stay in --data).

Options:
  --data DIR            data directory, created if missing (env STORE_DATA; default ./data)
  --host HOST           interface to bind (env STORE_HOST; default 127.0.0.1)
  --port N              port, 0 = any free port (env STORE_PORT; default 8787)
  --token TOKEN         require "Authorization: Bearer TOKEN" (env STORE_TOKEN)
  --logdir DIR          TensorBoard log directory (default <data>/runs)
  --s3-bucket NAME      serve the files API from this S3 bucket (env STORE_S3_BUCKET); it must exist
  --s3-endpoint URL     S3 endpoint, e.g. http://127.0.0.1:7480 (env STORE_S3_ENDPOINT, else
                        S3_ENDPOINT; default AWS S3)
  --s3-prefix PREFIX    key prefix the files API maps to (env STORE_S3_PREFIX, else S3_PREFIX)
                        Credentials and region come from the environment: S3_ACCESS_KEY +
                        S3_SECRET_KEY, else the AWS SDK's chain (AWS_ACCESS_KEY_ID, profiles…);
                        S3_REGION, else AWS_REGION (default us-east-1)
  --max-body BYTES      largest request body (default ${DEFAULT_LIMITS.maxBodyBytes})
  --max-url BYTES       longest request target (default ${DEFAULT_LIMITS.maxUrlBytes})
  --max-batch N         most events or values in one batch (default ${DEFAULT_LIMITS.maxBatchEvents})
  --max-open N          most event logs and run writers open at once (default ${DEFAULT_LIMITS.maxOpenResources})
  --idle-close MS       close a log or writer unused this long (default ${DEFAULT_LIMITS.idleCloseMs})
  --read-cache BYTES    memory for small unchanged files served by GET, 0 = none
                        (default ${DEFAULT_LIMITS.readCacheBytes})
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
        's3-bucket': { type: 'string' },
        's3-endpoint': { type: 'string' },
        's3-prefix': { type: 'string' },
        'max-body': { type: 'string' },
        'max-url': { type: 'string' },
        'max-batch': { type: 'string' },
        'max-open': { type: 'string' },
        'idle-close': { type: 'string' },
        'read-cache': { type: 'string' },
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
  const readCache = positiveInt(values['read-cache'], '--read-cache', true);
  if (typeof readCache === 'string') return usageError(readCache);
  if (readCache !== undefined) limits.readCacheBytes = readCache;
  const dataDir = path.resolve(values.data ?? env.STORE_DATA ?? './data');
  const host = values.host ?? env.STORE_HOST ?? '127.0.0.1';
  const token = values.token ?? env.STORE_TOKEN;
  const s3 = s3Settings(values, env);
  if (typeof s3 === 'string') return usageError(s3);

  let backend: StorageBackend | undefined;
  if (s3 !== undefined) {
    const opened = await openS3(s3);
    if (opened.usage !== undefined) return usageError(opened.usage);
    if (opened.failure !== undefined) {
      console.error(`store-server: cannot start: ${opened.failure}`);
      return 1;
    }
    backend = opened.backend;
  }

  let server;
  try {
    server = await createServer({
      dataDir,
      limits,
      ...(backend === undefined ? {} : { backend }),
      ...(token === undefined || token === '' ? {} : { token }),
      ...(values.logdir === undefined ? {} : { logdir: values.logdir }),
    });
  } catch (error) {
    await backend?.close?.();
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
    await backend?.close?.();
    return 1;
  }
  console.log(`store-server ${VERSION} listening on ${url}`);
  console.log(`  data directory: ${server.ctx.dataDir}`);
  if (s3 !== undefined) console.log(`  files: s3://${s3.bucket}/${s3.prefix ?? ''} at ${s3.endpoint ?? 'AWS S3'}`);
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
      server
        .close()
        // The S3 backend is ours (createServer leaves a given backend open): release it last.
        .then(() => backend?.close?.())
        .then(
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

/** A directory name nobody uses, listed once at start to check the bucket and the credentials. */
const PROBE = '.store-server-probe';

interface S3Settings {
  bucket: string;
  endpoint?: string;
  prefix?: string;
}

/** The S3 flags and their environment twins; undefined when no bucket is named, a message when a flag is bad. */
function s3Settings(values: Record<string, unknown>, env: NodeJS.ProcessEnv): S3Settings | string | undefined {
  const pick = (flag: string, variable: string): string | undefined => {
    const v = (values[flag] as string | undefined) ?? env[variable];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bucket = pick('s3-bucket', 'STORE_S3_BUCKET');
  const endpoint = pick('s3-endpoint', 'STORE_S3_ENDPOINT');
  const prefix = pick('s3-prefix', 'STORE_S3_PREFIX');
  if (bucket === undefined) {
    if (values['s3-endpoint'] !== undefined || values['s3-prefix'] !== undefined) return '--s3-endpoint and --s3-prefix need --s3-bucket';
    return undefined;
  }
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return `--s3-endpoint must be a URL such as http://127.0.0.1:7480, got '${endpoint}'`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `--s3-endpoint must be an http:// or https:// URL, got '${endpoint}'`;
  }
  return { bucket, ...(endpoint === undefined ? {} : { endpoint }), ...(prefix === undefined ? {} : { prefix }) };
}

/**
 * Makes the S3 backend (loaded only when asked for: the AWS SDK is large) and asks the store
 * once whether the bucket is there and the credentials work, so a typo fails at start, not
 * on the first request.
 */
async function openS3(s3: S3Settings): Promise<{ backend?: StorageBackend; usage?: string; failure?: string }> {
  // The SDK warns on Node 20 (multi-line, on stderr) that its 2027 releases need Node 22; the
  // server's output stays one line per event unless the operator asked for the warning.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { s3BackendFromEnv } = await import('@store/backend-s3');
  let backend;
  try {
    backend = s3BackendFromEnv(s3);
  } catch (error) {
    return { usage: (error as Error).message };
  }
  try {
    // A LIST (S3 names its errors in the body: NoSuchBucket, SignatureDoesNotMatch…) of a
    // directory nobody has; a file by that name (ENOTDIR) still proves the bucket answers.
    await backend.listFiles(PROBE);
    return { backend };
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === 'ENOTDIR') return { backend };
    await backend.close();
    return { failure: `S3 bucket '${s3.bucket}': ${(error as Error).message.replace(` (path '${PROBE}')`, '')}` };
  }
}
