import { badInput } from '../../kit/errors';

export const PASSWORD_MIN_LENGTH = 10;
const PASSWORD_MAX_LENGTH = 256;

export { normalizeEmail } from '../../kit/email';

export function assertAcceptablePassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw badInput(`Password must be at least ${PASSWORD_MIN_LENGTH} characters`, { field: 'password' });
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw badInput(`Password must be at most ${PASSWORD_MAX_LENGTH} characters`, { field: 'password' });
  }
}
