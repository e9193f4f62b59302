import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CI reads a plain closing line, not vitest's own summary.
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    testTimeout: 30_000,
    // Synthesizing the whole stack in a beforeAll takes ~5-15 s on a busy 2-core machine.
    hookTimeout: 60_000,
  },
});
