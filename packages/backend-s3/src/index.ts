export { S3Backend } from './s3-backend.js';
export type { S3BackendOptions, S3Capabilities, S3FileStat, WriteCondition } from './s3-backend.js';
export { s3BackendFromEnv, s3OptionsFromEnv } from './from-env.js';
export { supportsConditionalWrite } from './conditional.js';
export type { ConditionalWriteBackend } from './conditional.js';
export { fromS3Error } from './s3-errors.js';
export { MAX_S3_KEY_BYTES } from './keys.js';
