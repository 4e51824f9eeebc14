export { HttpBackend } from './http-backend.js';
export type { HttpBackendOptions } from './http-backend.js';
