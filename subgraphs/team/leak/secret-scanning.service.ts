import { verify as verifySignature } from 'node:crypto';
import { sha256 } from '../../kit/digest';
import type { Logger } from '../../kit/logger';
import type { UnitOfWork } from '../../kit/transaction';
import { hashApiKey, isWellFormedApiKey } from '../api-key/api-key-format';
import type { ApiKeyRepository } from '../api-key/api-key.repository';
import type { ApiKeyService } from '../api-key/api-key.service';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { MailRepository } from '../../kit/mail/mail.repository';
import type { MembershipRepository } from '../member/membership.repository';

export interface ScanReport {
  token: string;
  type: string;
  url?: string;
  source?: string;
}

export interface ScanFeedback {
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

const MAX_FINDINGS = 10_000;
const KEYS_TTL_MS = 3600_000;

/**
 * GitHub Secret Scanning partner endpoint: verifies GitHub's ECDSA P-256 signature over the raw
 * body, and for every reported token that is one of our keys marks it leaked and disables it
 * at once, mails the team's Admins and the key's creator, and records the event.
 */
export class SecretScanningService {
  private keys?: { fetchedAt: number; byId: Map<string, string> };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly apiKeyRepository: ApiKeyRepository,
    private readonly apiKeys: ApiKeyService,
    private readonly memberships: MembershipRepository,
    private readonly directory: DirectoryRepository,
    private readonly mail: MailRepository,
    private readonly keysUrl: string,
    private readonly logger: Logger,
  ) {}

  private async publicKey(id: string): Promise<string | undefined> {
    const fresh = this.keys && Date.now() - this.keys.fetchedAt < KEYS_TTL_MS;
    if (!fresh || !this.keys!.byId.has(id)) {
      // A new key id is worth one fetch; otherwise the cache answers.
      if (fresh && Date.now() - this.keys!.fetchedAt < 60_000) return undefined;
      const response = await fetch(this.keysUrl, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`public keys document answered ${response.status}`);
      const doc = (await response.json()) as { public_keys?: { key_identifier: string; key: string }[] };
      this.keys = { fetchedAt: Date.now(), byId: new Map((doc.public_keys ?? []).map((k) => [k.key_identifier, k.key])) };
    }
    return this.keys!.byId.get(id);
  }

  async verify(raw: Buffer, keyId: string | undefined, signature: string | undefined): Promise<boolean> {
    if (!keyId || !signature) return false;
    const pem = await this.publicKey(keyId);
    if (!pem) return false;
    try {
      return verifySignature('sha256', raw, { key: pem, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }

  async handle(raw: Buffer, headers: Record<string, string | undefined>): Promise<{ status: number; body: unknown }> {
    let authentic: boolean;
    try {
      authentic = await this.verify(raw, headers['github-public-key-identifier'], headers['github-public-key-signature']);
    } catch (err) {
      this.logger.error({ err }, 'could not load secret scanning public keys');
      return { status: 503, body: { error: 'public keys unavailable' } };
    }
    if (!authentic) return { status: 401, body: { error: 'invalid signature' } };
    let reports: ScanReport[];
    try {
      reports = JSON.parse(raw.toString('utf8'));
    } catch {
      return { status: 400, body: { error: 'malformed JSON' } };
    }
    if (!Array.isArray(reports) || reports.length > MAX_FINDINGS || reports.some((r) => typeof r?.token !== 'string')) {
      return { status: 400, body: { error: 'expected an array of {token, type, url, source}' } };
    }
    return { status: 200, body: await this.process(reports) };
  }

  async process(reports: ScanReport[]): Promise<ScanFeedback[]> {
    const ours = reports.filter((r) => isWellFormedApiKey(r.token));
    const found = await this.apiKeyRepository.findByHashes(ours.map((r) => hashApiKey(r.token)));
    const byHash = new Map(found.map((k) => [k.secretHash.toString('hex'), k]));
    const leaked = new Set<string>();
    const newlyLeaked: { key: (typeof found)[number]; report: ScanReport }[] = [];
    for (const report of ours) {
      const key = byHash.get(hashApiKey(report.token).toString('hex'));
      if (!key || key.deletedAt) continue;
      leaked.add(report.token);
      // Reported before (or twice in this batch): already handled.
      if (!key.leakedAt && !newlyLeaked.some((n) => n.key === key)) newlyLeaked.push({ key, report });
    }
    if (newlyLeaked.length === 0) return this.feedback(reports, leaked);
    // Who to tell, for every leaked key at once: each team's Admins and each key's creator.
    const teamIds = [...new Set(newlyLeaked.map((n) => n.key.teamId))];
    const admins = await this.memberships.adminsOfTeams(teamIds);
    const userIds = [...new Set([...admins.map((m) => m.userId), ...newlyLeaked.map((n) => n.key.createdBy)])];
    const emailsOf = new Map<string, string[]>();
    // Only verified addresses: an unverified one may belong to someone else.
    for (const entry of await this.directory.findVerifiedByUsers(userIds)) emailsOf.set(entry.userId, [...(emailsOf.get(entry.userId) ?? []), entry.email]);
    await this.uow.run(async (tx) => {
      for (const { key, report } of newlyLeaked) {
        await this.apiKeys.markLeaked(tx, key, report);
        const teamAdmins = admins.filter((m) => m.teamId === key.teamId).map((m) => m.userId);
        const recipients = new Set([...teamAdmins, key.createdBy].flatMap((userId) => emailsOf.get(userId) ?? []));
        await this.mail.enqueue(
          tx,
          [...recipients].map((recipient) => ({
            recipient,
            subject: `API key "${key.name}" was found in public and has been disabled`,
            body:
              `The API key "${key.name}" (${key.redactedKey}) was reported by GitHub Secret Scanning` +
              `${report.url ? ` at ${report.url}` : ''}. We disabled it at once. Rotate it in the console to get a replacement with the same settings.`,
          })),
        );
      }
    });
    return this.feedback(reports, leaked);
  }

  private feedback(reports: ScanReport[], leaked: Set<string>): ScanFeedback[] {
    return reports.map((r) => ({
      token_hash: sha256(r.token).toString('hex'),
      token_type: r.type,
      label: leaked.has(r.token) ? 'true_positive' : 'false_positive',
    }));
  }
}
