import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'reference-server', testTimeout: 120_000, hookTimeout: 60_000 },
});
