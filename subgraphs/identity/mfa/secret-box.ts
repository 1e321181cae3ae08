import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Identity's keyed secrets, derived from one configured key with HKDF: AES-256-GCM for TOTP
 * secrets (which must be read back), and an HMAC pepper for one-time codes (which are only
 * ever compared), so a copy of the database alone reveals neither.
 */
export class SecretBox {
  private readonly encryptionKey: Buffer;
  private readonly pepper: Buffer;

  constructor(secretKey: string) {
    this.encryptionKey = Buffer.from(hkdfSync('sha256', secretKey, 'console-identity', 'totp-secret-encryption', 32));
    this.pepper = Buffer.from(hkdfSync('sha256', secretKey, 'console-identity', 'one-time-code-pepper', 32));
  }

  /** iv (12) | tag (16) | ciphertext, bound to `context` (the user id) so a row cannot be moved to another user. */
  encrypt(plain: Buffer, context: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
  }

  decrypt(sealed: Buffer, context: string): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
  }

  /** A keyed hash of a one-time code, normalized (case, spaces and dashes do not matter). */
  hashCode(code: string, context: string): Buffer {
    return createHmac('sha256', this.pepper).update(context).update('\0').update(normalizeCode(code)).digest();
  }

  /** Constant-time: whether `code` hashes to one of `hashes`; the index of the match, or -1. */
  findCode(code: string, context: string, hashes: Buffer[]): number {
    const candidate = this.hashCode(code, context);
    let found = -1;
    hashes.forEach((h, i) => {
      if (h.length === candidate.length && timingSafeEqual(h, candidate) && found < 0) found = i;
    });
    return found;
  }
}

export const normalizeCode = (code: string) => code.replace(/[\s-]+/g, '').toUpperCase();

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 symbols, no 0/O or 1/I

/** `groups` groups of four symbols from a 32-letter alphabet: 20 random bits per group. */
export function newOneTimeCode(groups = 4): string {
  const bytes = randomBytes(groups * 4);
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    let part = '';
    for (let i = 0; i < 4; i++) part += ALPHABET[bytes[g * 4 + i] & 31];
    parts.push(part);
  }
  return parts.join('-');
}

/** Six random digits, for codes typed from an email. */
export function newNumericCode(): string {
  return (randomBytes(4).readUInt32BE(0) % 1_000_000).toString().padStart(6, '0');
}
