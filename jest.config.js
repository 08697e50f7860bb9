// Jest runs in ESM mode (see package.json "jest" script): middy 7 and jose are ESM-only,
// and local mode uses import.meta, exactly as it runs under `node` on Node 24.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        // Import attributes (`with { type: 'json' }`) are kept, as Node requires them for JSON modules.
        jsc: { target: 'es2024', parser: { syntax: 'typescript' }, experimental: { keepImportAttributes: true } },
        module: { type: 'es6' },
      },
    ],
  },
  cacheDirectory: '<rootDir>/.jest-cache',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/env.ts'],
  testTimeout: 30000,
};
