import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'backend-s3',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The SDK warns once per process that its 2027 releases will need Node 22; not news in a test log.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
