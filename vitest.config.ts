import { defineConfig } from 'vitest/config';

// One vitest run over every package and app, so CI prints a single summary.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tooling/repo-tests'],
    reporters: ['default', './tooling/vitest/summary-reporter.ts'],
  },
});
