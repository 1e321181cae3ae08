import { GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';

const MAX_BIGINT_DIGITS = 40;

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value) && value.length <= MAX_BIGINT_DIGITS) return BigInt(value);
  throw new TypeError('BigInt must be an integer, given as a decimal string');
}

/** Integers of any size carried as decimal strings, so no client rounds them through a float. */
export const BigIntScalar = new GraphQLScalarType({
  name: 'BigInt',
  description: 'An integer of arbitrary size, serialized as a decimal string.',
  serialize: (value) => toBigInt(value).toString(),
  parseValue: (value) => toBigInt(value),
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return toBigInt(ast.value);
    throw new TypeError('BigInt must be an integer, given as a decimal string');
  },
});

export const DateTimeScalar = DateTimeResolver;

export const scalarsMap = [
  { type: BigInt, scalar: BigIntScalar },
  { type: Date, scalar: DateTimeScalar },
];
