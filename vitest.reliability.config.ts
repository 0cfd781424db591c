import { defineConfig } from 'vitest/config';

/** The suites that take minutes: fuzzing, fault matrix, load and soak, crash safety (npm run test:reliability). */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
