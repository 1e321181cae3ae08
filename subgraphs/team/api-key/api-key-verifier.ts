import type { Logger } from '../../kit/logger';
import type { PostgresPubSub } from '../../kit/pubsub';
import { hashApiKey, isWellFormedApiKey } from './api-key-format';
import type { ApiKeyRecord, ApiKeyRepository } from './api-key.repository';
import { statusOf } from './api-key-status';

export const API_KEY_TOPIC = 'api-keys:changed';

/** Sent (on commit) whenever keys change, so every replica drops what it cached. */
export interface ApiKeyInvalidation {
  hashes?: string[];
  teamId?: string;
}

export type VerifyResult =
  | { valid: true; keyId: string; teamId: string; acls: string[]; limits: { qps: number | null; qpm: number | null; tpm: string | null } }
  | { valid: false; reason: 'MALFORMED' | 'UNKNOWN' | 'DISABLED' | 'EXPIRED' | 'LEAKED' | 'DELETED' };

interface CacheEntry {
  record: ApiKeyRecord | null;
  loadedAt: number;
}

/**
 * Answers "is this key good, for which team, with which rules" for the inference servers.
 * Malformed keys and bad checksums are refused without a database call; known keys are served
 * from memory, dropped on every change (NOTIFY from any replica) and reloaded at least every
 * 30 s; last use is flushed in one statement every few seconds, not written per request.
 */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastUse = new Map<string, Date>();
  private flushTimer?: NodeJS.Timeout;
  private listening?: AsyncIterableIterator<ApiKeyInvalidation>;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly live: PostgresPubSub,
    private readonly logger: Logger,
    private readonly options: { ttlMs?: number; maxEntries?: number; flushEveryMs?: number } = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    this.listening = this.live.subscribe<ApiKeyInvalidation>(API_KEY_TOPIC);
    void (async () => {
      for await (const message of this.listening!) this.invalidate(message);
    })();
    this.flushTimer = setInterval(() => void this.flush(), this.options.flushEveryMs ?? 5000);
    this.flushTimer.unref();
  }

  invalidate(message: ApiKeyInvalidation): void {
    for (const hash of message.hashes ?? []) this.cache.delete(hash);
    if (message.teamId) {
      for (const [hash, entry] of this.cache) if (entry.record?.teamId === message.teamId) this.cache.delete(hash);
    }
  }

  async verify(secret: string): Promise<VerifyResult> {
    if (typeof secret !== 'string' || !isWellFormedApiKey(secret)) return { valid: false, reason: 'MALFORMED' };
    const hash = hashApiKey(secret);
    const key = hash.toString('hex');
    let entry = this.cache.get(key);
    const now = this.now();
    if (!entry || now.getTime() - entry.loadedAt > (this.options.ttlMs ?? 30_000)) {
      const [record] = await this.keys.findByHashes([hash]);
      entry = { record: record ?? null, loadedAt: now.getTime() };
      if (this.cache.size >= (this.options.maxEntries ?? 100_000)) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, entry);
    }
    const record = entry.record;
    if (!record) return { valid: false, reason: 'UNKNOWN' };
    if (record.deletedAt || record.teamDeleted) return { valid: false, reason: 'DELETED' };
    const status = statusOf(record, now);
    if (status !== 'ACTIVE') return { valid: false, reason: status };
    this.lastUse.set(record.id, now);
    return { valid: true, keyId: record.id, teamId: record.teamId, acls: record.acls, limits: { qps: record.qps, qpm: record.qpm, tpm: record.tpm } };
  }

  async flush(): Promise<void> {
    if (this.lastUse.size === 0) return;
    const batch = new Map(this.lastUse);
    this.lastUse.clear();
    try {
      await this.keys.recordLastUse(batch);
    } catch (err) {
      this.logger.warn({ err }, 'could not record API key last use');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.listening?.return?.();
    await this.flush();
  }
}
