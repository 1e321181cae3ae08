import { assertAcceptablePassword, normalizeEmail, PASSWORD_MIN_LENGTH } from './credentials';

describe('email and password rules', () => {
  it('lower-cases the domain but keeps the local part as typed', () => {
    expect(normalizeEmail('  Jane.Doe@Example.COM ')).toBe('Jane.Doe@example.com');
  });

  it.each(['', 'plain', 'a@b', 'a b@c.de', `${'x'.repeat(250)}@example.com`])('refuses %p as an email', (email) => {
    expect(() => normalizeEmail(email)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('refuses a password shorter than the minimum', () => {
    expect(() => assertAcceptablePassword('x'.repeat(PASSWORD_MIN_LENGTH - 1))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => assertAcceptablePassword('x'.repeat(PASSWORD_MIN_LENGTH))).not.toThrow();
  });
});
