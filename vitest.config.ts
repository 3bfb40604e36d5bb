import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources. Each test file gets its own process (forks) so that
// one file's WebAssembly memory and backend choice never leak into another's.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
