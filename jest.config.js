/**
 * Two projects so `npm test` can run fast pure tests and service-backed tests with
 * different defaults; both use SWC, which strips types without type-checking
 * (`tsc --noEmit` runs once before jest instead, far cheaper on 2 cores).
 */
const transform = {
  '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      // cdk synth leaves bundled assets (with package.json files) under cdk.out.
      modulePathIgnorePatterns: ['<rootDir>/cdk.out', '<rootDir>/dist'],
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/infra/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      // cdk synth leaves bundled assets (with package.json files) under cdk.out.
      modulePathIgnorePatterns: ['<rootDir>/cdk.out', '<rootDir>/dist'],
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      slowTestThreshold: 30,
    },
  ],
  testTimeout: 30000,
};
