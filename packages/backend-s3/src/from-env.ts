import { StorageError } from '@store/backend-core';
import { S3Backend, type S3BackendOptions } from './s3-backend.js';

type Env = Record<string, string | undefined>;

/**
 * S3Backend options from environment variables, for servers and tools that take their
 * storage from the environment. Explicit `overrides` (e.g. from `--s3-bucket` and
 * `--s3-endpoint` flags) win over the environment.
 *
 * | variable | option |
 * | --- | --- |
 * | `S3_BUCKET` | `bucket` (required here or in `overrides`) |
 * | `S3_PREFIX` | `prefix` |
 * | `S3_ENDPOINT` | `endpoint` (unset: AWS S3) |
 * | `S3_REGION`, else `AWS_REGION`, else `AWS_DEFAULT_REGION` | `region` (default `us-east-1`) |
 * | `S3_ACCESS_KEY` + `S3_SECRET_KEY` | static credentials; unset: the SDK's default chain (`AWS_ACCESS_KEY_ID`…, profiles, instance roles) |
 * | `S3_FORCE_PATH_STYLE` (`1`/`0`, `true`/`false`) | `forcePathStyle` (default: true when an endpoint is set) |
 *
 * `EINVAL` (with `field`) when no bucket is given or a variable has a bad value.
 */
export function s3OptionsFromEnv(overrides: Partial<S3BackendOptions> = {}, env: Env = process.env): S3BackendOptions {
  const bucket = overrides.bucket ?? nonEmpty(env.S3_BUCKET);
  if (bucket === undefined) throw new StorageError('EINVAL', 'no S3 bucket: set S3_BUCKET or pass a bucket', { field: 'S3_BUCKET' });
  const endpoint = overrides.endpoint ?? nonEmpty(env.S3_ENDPOINT);
  const region = overrides.region ?? nonEmpty(env.S3_REGION) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  const accessKeyId = nonEmpty(env.S3_ACCESS_KEY);
  const secretAccessKey = nonEmpty(env.S3_SECRET_KEY);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new StorageError('EINVAL', 'set both S3_ACCESS_KEY and S3_SECRET_KEY, or neither', { field: accessKeyId === undefined ? 'S3_ACCESS_KEY' : 'S3_SECRET_KEY' });
  }
  const pathStyle = flag(env.S3_FORCE_PATH_STYLE, 'S3_FORCE_PATH_STYLE');
  const prefix = overrides.prefix ?? nonEmpty(env.S3_PREFIX);
  return {
    ...overrides,
    bucket,
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(prefix === undefined ? {} : { prefix }),
    ...(overrides.credentials === undefined && accessKeyId !== undefined ? { credentials: { accessKeyId, secretAccessKey: secretAccessKey! } } : {}),
    ...(overrides.forcePathStyle === undefined && pathStyle !== undefined ? { forcePathStyle: pathStyle } : {}),
  };
}

/** `new S3Backend(s3OptionsFromEnv(overrides, env))`: the one call a server needs for `--s3-bucket`. */
export function s3BackendFromEnv(overrides: Partial<S3BackendOptions> = {}, env: Env = process.env): S3Backend {
  return new S3Backend(s3OptionsFromEnv(overrides, env));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function flag(value: string | undefined, field: string): boolean | undefined {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  if (v === '0' || v === 'false' || v === 'no') return false;
  throw new StorageError('EINVAL', `${field} must be 1/0 or true/false, got '${value}'`, { field });
}
