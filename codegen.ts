import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the operations the tests (and partners' trusted documents) send. */
const config: CodegenConfig = {
  schema: 'schema/api.graphql',
  documents: 'test/operations/**/*.graphql',
  silent: true,
  generates: {
    'test/operations/generated.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { BigInt: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false },
        useTypeImports: true,
      },
    },
  },
};

export default config;
