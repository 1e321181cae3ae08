import { Kind } from 'graphql';
import { BigIntScalar } from './scalars';

describe('BigInt scalar', () => {
  it('serializes integers beyond 2^53 exactly, as decimal strings', () => {
    expect(BigIntScalar.serialize(12345678901234567890123n)).toBe('12345678901234567890123');
  });

  it('parses decimal strings and safe integers into bigint', () => {
    expect(BigIntScalar.parseValue('-90071992547409930')).toBe(-90071992547409930n);
    expect(BigIntScalar.parseValue(42)).toBe(42n);
    expect(BigIntScalar.parseLiteral({ kind: Kind.STRING, value: '7' })).toBe(7n);
  });

  it.each([1.5, '1.5', '1e3', 'abc', 2 ** 60, '9'.repeat(41)])('refuses %p', (value) => {
    expect(() => BigIntScalar.parseValue(value)).toThrow(TypeError);
  });
});
