/** Three tiers: pure unit tests, one subgraph on real PostgreSQL, the whole graph through the gateway. */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
  // openid-client (and, in tests, oidc-provider) are ESM-only. Node >= 20.19 require()s them, but
  // Jest's module loader does not before Node 24.9, so Jest compiles them (and their ESM-only
  // dependencies) to CommonJS.
  '^.+/node_modules/(openid-client|oauth4webapi|jose|oidc-provider)/.+\\.js$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
const esmOnlyPackages = ['/node_modules/(?!(openid-client|oauth4webapi|jose|oidc-provider)/)'];

const common = {
  transform,
  transformIgnorePatterns: esmOnlyPackages,
  testEnvironment: 'node',
  rootDir: __dirname,
  setupFiles: ['reflect-metadata'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/'],
};

module.exports = {
  testTimeout: 30_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  transform,
  transformIgnorePatterns: esmOnlyPackages,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/**/*.int.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'] },
  ],
};
