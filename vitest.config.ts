import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

// CI has 2 cores; locally allow a little more, but keep it modest (each integration file may
// talk to PostgreSQL, each e2e file drives a browser).
const workers = Math.max(1, Math.min(4, availableParallelism()))

export default defineConfig({
  test: {
    reporters: ['default', './test/setup/summary-reporter.ts'],
    maxWorkers: workers,
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/tmpdir.ts', 'test/setup/postgres.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/tmpdir.ts', 'test/setup/chromium.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
