import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'repo', testTimeout: 300_000, hookTimeout: 300_000 },
});
