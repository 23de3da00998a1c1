// Three layers: `unit` (pure logic, no kernel, no server), `integration` (real Temporal dev
// server, real plugin server on loopback, real namespaces) and `alcor` (the same against a real
// Alcor control plane built from source: scripts/provide-alcor.sh).
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };

// Processes tests start outside Merak's records (etcd, kube-apiserver) must be gone when a run ends.
const globalTeardown = '<rootDir>/test/helpers/global-teardown.ts';

// Tools and their state (podman's image layers hold copies of package.json) are not modules.
const modulePathIgnorePatterns = ['<rootDir>/.tools/', '<rootDir>/.state/'];

// The public entry point (package.json `exports`) from source, as tsconfig.json's `paths` does.
const moduleNameMapper = { '^merak/plugin$': '<rootDir>/src/plugin/index.ts' };

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests start servers and namespaces: jest's 5 s default fails them on a busy
  // machine (seen in CI at load 20) and a test that times out leaks its handles. Tests that need
  // longer still say so. (A per-project testTimeout is not a jest 29 option.)
  testTimeout: 30_000,
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform, testEnvironment: 'node', modulePathIgnorePatterns, moduleNameMapper },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // The Alcor suite is its own project (and CI step): it needs the Alcor build and ~3.7 GiB.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/alcor'],
      transform,
      testEnvironment: 'node',
      modulePathIgnorePatterns,
      moduleNameMapper,
      slowTestThreshold: 60,
      globalTeardown,
    },
    {
      displayName: 'alcor',
      testMatch: ['<rootDir>/test/integration/alcor*.test.ts'],
      transform,
      testEnvironment: 'node',
      slowTestThreshold: 120,
      globalTeardown,
    },
  ],
};
