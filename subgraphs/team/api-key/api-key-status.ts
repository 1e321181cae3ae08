import type { ApiKeyEntity } from './api-key.entity';

export type ApiKeyStatus = 'ACTIVE' | 'DISABLED' | 'EXPIRED' | 'LEAKED';

/** Leaked wins over disabled wins over expired: what the owner most needs to act on. */
export function statusOf(key: Pick<ApiKeyEntity, 'leakedAt' | 'disabledAt' | 'expiresAt'>, now: Date): ApiKeyStatus {
  if (key.leakedAt) return 'LEAKED';
  if (key.disabledAt) return 'DISABLED';
  if (key.expiresAt && key.expiresAt <= now) return 'EXPIRED';
  return 'ACTIVE';
}

const ACL = /^api-key:(model:[A-Za-z0-9._*-]{1,100}|endpoint:(chat|image|\*))$/;
export const isValidAcl = (acl: string) => ACL.test(acl);
