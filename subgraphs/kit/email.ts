import { badInput } from './errors';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trims and validates an email address, lower-casing its domain; BAD_USER_INPUT when it is not one. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('Enter a valid email address', { field: 'email' });
  const at = email.lastIndexOf('@');
  return email.slice(0, at) + '@' + email.slice(at + 1).toLowerCase();
}

export const emailDomain = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();
