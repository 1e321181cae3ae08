import { badInput } from '../../kit/errors';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const PASSWORD_MIN_LENGTH = 10;
const PASSWORD_MAX_LENGTH = 256;

/** Normalizes and validates an email address; throws BAD_USER_INPUT when it is not one. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('Enter a valid email address', { field: 'email' });
  const at = email.lastIndexOf('@');
  return email.slice(0, at) + '@' + email.slice(at + 1).toLowerCase();
}

export function assertAcceptablePassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw badInput(`Password must be at least ${PASSWORD_MIN_LENGTH} characters`, { field: 'password' });
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw badInput(`Password must be at most ${PASSWORD_MAX_LENGTH} characters`, { field: 'password' });
  }
}
