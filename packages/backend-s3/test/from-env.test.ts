import { describe, expect, it } from 'vitest';
import { S3Backend, s3BackendFromEnv, s3OptionsFromEnv } from '../src/index.js';

describe('s3OptionsFromEnv / s3BackendFromEnv', () => {
  it('reads the S3_* variables, with overrides (server flags) winning', () => {
    const env = { S3_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:7480', S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's', S3_PREFIX: 'p/q', S3_FORCE_PATH_STYLE: '1' };
    expect(s3OptionsFromEnv({}, env)).toEqual({
      bucket: 'b',
      endpoint: 'http://127.0.0.1:7480',
      region: 'us-east-1',
      prefix: 'p/q',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      forcePathStyle: true,
    });
    expect(s3OptionsFromEnv({ bucket: 'flag', endpoint: 'http://other:9000' }, env)).toMatchObject({ bucket: 'flag', endpoint: 'http://other:9000' });
    expect(s3OptionsFromEnv({}, { S3_BUCKET: 'b', AWS_REGION: 'eu-west-1' })).toEqual({ bucket: 'b', region: 'eu-west-1' });
    const backend = s3BackendFromEnv({}, env);
    expect(backend).toBeInstanceOf(S3Backend);
    expect([backend.bucket, backend.prefix]).toEqual(['b', 'p/q/']);
  });

  it('says which variable is missing or wrong, with EINVAL', () => {
    expect(() => s3OptionsFromEnv({}, {})).toThrow(/EINVAL: no S3 bucket: set S3_BUCKET/);
    expect(() => s3OptionsFromEnv({}, { S3_BUCKET: 'b', S3_ACCESS_KEY: 'k' })).toThrow(/S3_ACCESS_KEY and S3_SECRET_KEY/);
    expect(() => s3OptionsFromEnv({}, { S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/S3_FORCE_PATH_STYLE must be/);
    expect(() => s3BackendFromEnv({}, { S3_BUCKET: 'b', S3_PREFIX: '../x' })).toThrow(/EINVAL/);
  });
});
