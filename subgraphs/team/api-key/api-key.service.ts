import { randomUUID } from 'node:crypto';
import { badInput, DomainError, forbidden, notFound } from '../../kit/errors';
import { EventType, type EventActor, type Outbox } from '../../kit/events';
import type { PostgresPubSub } from '../../kit/pubsub';
import { Permission, type Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { generateApiKey, hashApiKey, redactApiKey } from './api-key-format';
import { ApiKeyEntity } from './api-key.entity';
import type { ApiKeyRepository } from './api-key.repository';
import { isValidAcl } from './api-key-status';
import { API_KEY_TOPIC, type ApiKeyInvalidation } from './api-key-verifier';

export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

export interface ApiKeySettings {
  name: string;
  expiresAt?: Date | null;
  acls?: string[] | null;
  qps?: number | null;
  qpm?: number | null;
  tpm?: bigint | null;
}

export const ApiKeyEvent = {
  Created: EventType.ApiKeyCreated,
  Listed: EventType.ApiKeyListed,
  Updated: EventType.ApiKeyUpdated,
  Disabled: EventType.ApiKeyDisabled,
  Enabled: EventType.ApiKeyEnabled,
  Deleted: EventType.ApiKeyDeleted,
  Rotated: EventType.ApiKeyRotated,
  Leaked: EventType.ApiKeyLeaked,
} as const;

function validate(settings: Partial<ApiKeySettings>, now: Date): void {
  if (settings.name !== undefined && (!settings.name.trim() || settings.name.length > 100)) throw badInput('Key name must be 1 to 100 characters', { field: 'name' });
  if (settings.expiresAt && settings.expiresAt <= now) throw badInput('Expiry must be in the future', { field: 'expiresAt' });
  const bad = (settings.acls ?? []).filter((a) => !isValidAcl(a));
  if (bad.length) throw badInput(`Unknown access rules: ${bad.join(', ')}`, { field: 'acls' });
  for (const field of ['qps', 'qpm'] as const) {
    const v = settings[field];
    if (v !== undefined && v !== null && (!Number.isInteger(v) || v <= 0)) throw badInput(`${field} must be a positive integer`, { field });
  }
  if (settings.tpm !== undefined && settings.tpm !== null && settings.tpm <= 0n) throw badInput('tpm must be positive', { field: 'tpm' });
}

/**
 * Team-owned API keys. Members create keys and manage their own; Admins manage all of the
 * team's. Every change invalidates verifier caches on commit and is recorded as an event.
 */
export class ApiKeyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: ApiKeyRepository,
    private readonly outbox: Outbox,
    private readonly live: PostgresPubSub,
    private readonly now: () => Date = () => new Date(),
  ) {}

  findByIds(ids: readonly string[]): Promise<ApiKeyEntity[]> {
    return this.keys.findByIds(ids);
  }

  /** Whether the caller may see and manage this key: an Admin of its team, or its creator. */
  canManage(session: Session, key: ApiKeyEntity): boolean {
    if (session.principal.kind === 'management-key') return session.can(key.teamId, Permission.ApiKeysWrite);
    return session.can(key.teamId, Permission.TeamModify) || (session.userId === key.createdBy && !!session.roleIn(key.teamId));
  }

  private async invalidate(tx: Tx, message: ApiKeyInvalidation): Promise<void> {
    const [sql, params] = this.live.notifyStatement(API_KEY_TOPIC, message);
    await tx.query(sql, params);
  }

  async create(session: Session, teamId: string, settings: ApiKeySettings, actor: EventActor): Promise<{ key: ApiKeyEntity; secret: string }> {
    const userId = session.onBehalfOf;
    if (!userId || !session.can(teamId, Permission.ApiKeysWrite)) throw forbidden();
    const now = this.now();
    validate(settings, now);
    return this.uow.run((tx) => this.insert(tx, teamId, userId, settings, actor, ApiKeyEvent.Created));
  }

  private async insert(tx: Tx, teamId: string, userId: string, settings: ApiKeySettings, actor: EventActor, event: string, extra: object = {}) {
    const now = this.now();
    const secret = generateApiKey();
    const key = Object.assign(new ApiKeyEntity(), {
      id: randomUUID(),
      teamId,
      createdBy: userId,
      name: settings.name.trim(),
      secretHash: hashApiKey(secret),
      redactedKey: redactApiKey(secret),
      acls: [...new Set(settings.acls ?? [])],
      qps: settings.qps ?? null,
      qpm: settings.qpm ?? null,
      tpm: settings.tpm?.toString() ?? null,
      createdAt: now,
      updatedAt: now,
      expiresAt: settings.expiresAt ?? null,
      disabledAt: null,
      leakedAt: null,
      deletedAt: null,
      lastUsedAt: null,
      rotatedTo: null,
    });
    await this.keys.insert(tx, key);
    await this.outbox.enqueue(tx, { type: event, aggregateId: teamId, teamId, actor, payload: { keyId: key.id, name: key.name, ...extra } });
    return { key, secret };
  }

  /**
   * Each team's keys, for a list of teams at once: Admins see all of a team's keys, Members the
   * keys they created; a team the caller may not list gets FORBIDDEN. One query for all of them,
   * and each team's listing is audited, all in one transaction.
   */
  async listOfTeams(session: Session, teamIds: readonly string[], actor: EventActor): Promise<(ApiKeyEntity[] | Error)[]> {
    const userId = session.onBehalfOf;
    const scopeOf = (teamId: string): 'team' | 'own' | null => {
      if (!userId || !session.can(teamId, Permission.ApiKeysRead)) return null;
      return session.can(teamId, Permission.TeamModify) || session.principal.kind === 'management-key' ? 'team' : 'own';
    };
    const scopes = new Map(teamIds.map((teamId) => [teamId, scopeOf(teamId)]));
    const listed = teamIds.filter((teamId) => scopes.get(teamId));
    if (!userId || listed.length === 0) return teamIds.map(() => forbidden());
    const keys = await this.keys.ofTeams(
      listed.filter((teamId) => scopes.get(teamId) === 'team'),
      listed.filter((teamId) => scopes.get(teamId) === 'own'),
      userId,
    );
    const byTeam = new Map<string, ApiKeyEntity[]>(listed.map((t) => [t, []]));
    for (const key of keys) byTeam.get(key.teamId)?.push(key);
    await this.uow.run((tx) =>
      this.outbox.enqueue(
        tx,
        ...listed.map((teamId) => ({ type: ApiKeyEvent.Listed, aggregateId: teamId, teamId, actor, payload: { count: byTeam.get(teamId)!.length, scope: scopes.get(teamId) } })),
      ),
    );
    return teamIds.map((teamId) => byTeam.get(teamId) ?? forbidden());
  }

  private async change(session: Session, id: string, actor: EventActor, event: string, mutate: (key: ApiKeyEntity) => void): Promise<ApiKeyEntity> {
    return this.uow.run(async (tx) => {
      const key = await this.keys.lock(tx, id);
      if (!key || !session.actsFor(key.teamId)) throw notFound('API key');
      if (!this.canManage(session, key)) throw forbidden('Only Admins and the key’s creator may change it');
      mutate(key);
      key.updatedAt = this.now();
      await this.keys.save(tx, key);
      await this.invalidate(tx, { hashes: [key.secretHash.toString('hex')] });
      await this.outbox.enqueue(tx, { type: event, aggregateId: key.teamId, teamId: key.teamId, actor, payload: { keyId: key.id, name: key.name } });
      return key;
    });
  }

  update(session: Session, id: string, changes: Partial<ApiKeySettings>, actor: EventActor): Promise<ApiKeyEntity> {
    validate(changes, this.now());
    return this.change(session, id, actor, ApiKeyEvent.Updated, (key) => {
      if (changes.name != null) key.name = changes.name.trim();
      if (changes.acls != null) key.acls = [...new Set(changes.acls)];
      if (changes.qps !== undefined) key.qps = changes.qps;
      if (changes.qpm !== undefined) key.qpm = changes.qpm;
      if (changes.tpm !== undefined) key.tpm = changes.tpm?.toString() ?? null;
      if (changes.expiresAt !== undefined) key.expiresAt = changes.expiresAt;
    });
  }

  disable(session: Session, id: string, actor: EventActor): Promise<ApiKeyEntity> {
    return this.change(session, id, actor, ApiKeyEvent.Disabled, (key) => {
      key.disabledAt ??= this.now();
    });
  }

  enable(session: Session, id: string, actor: EventActor): Promise<ApiKeyEntity> {
    return this.change(session, id, actor, ApiKeyEvent.Enabled, (key) => {
      if (key.leakedAt) throw new DomainError('KEY_LEAKED', 'A leaked key cannot be enabled again; rotate it');
      key.disabledAt = null;
    });
  }

  async delete(session: Session, id: string, actor: EventActor): Promise<boolean> {
    await this.change(session, id, actor, ApiKeyEvent.Deleted, (key) => {
      key.deletedAt = this.now();
    });
    return true;
  }

  /**
   * A new secret with the same settings; the old one keeps working for `graceSeconds`
   * (0 to 7 days) and then stops by itself. A leaked key is rotated with no grace.
   */
  async rotate(session: Session, id: string, graceSeconds: number, actor: EventActor): Promise<{ key: ApiKeyEntity; secret: string }> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
      throw badInput(`graceSeconds must be between 0 and ${MAX_ROTATION_GRACE_SECONDS}`, { field: 'graceSeconds' });
    }
    return this.uow.run(async (tx) => {
      const old = await this.keys.lock(tx, id);
      if (!old || !session.actsFor(old.teamId)) throw notFound('API key');
      if (!this.canManage(session, old)) throw forbidden('Only Admins and the key’s creator may rotate it');
      if (old.rotatedTo) throw new DomainError('ALREADY_ROTATED', 'This key has already been rotated');
      const now = this.now();
      const created = await this.insert(
        tx,
        old.teamId,
        old.createdBy,
        { name: old.name, expiresAt: old.expiresAt && old.expiresAt > now ? old.expiresAt : null, acls: old.acls, qps: old.qps, qpm: old.qpm, tpm: old.tpm ? BigInt(old.tpm) : null },
        actor,
        ApiKeyEvent.Rotated,
        { rotatedFrom: old.id, graceSeconds },
      );
      const grace = old.leakedAt ? 0 : graceSeconds;
      const end = new Date(now.getTime() + grace * 1000);
      old.expiresAt = old.expiresAt && old.expiresAt < end ? old.expiresAt : end;
      old.rotatedTo = created.key.id;
      old.updatedAt = now;
      await this.keys.save(tx, old);
      await this.invalidate(tx, { hashes: [old.secretHash.toString('hex')] });
      return created;
    });
  }

  /** Marks reported keys leaked and disables them at once (no session: the report is the authority). */
  async markLeaked(tx: Tx, key: ApiKeyEntity, report: { url?: string; source?: string }): Promise<void> {
    const now = this.now();
    key.leakedAt ??= now;
    key.disabledAt ??= now;
    key.updatedAt = now;
    await this.keys.save(tx, key);
    await this.invalidate(tx, { hashes: [key.secretHash.toString('hex')] });
    await this.outbox.enqueue(tx, { type: ApiKeyEvent.Leaked, aggregateId: key.teamId, teamId: key.teamId, actor: null, payload: { keyId: key.id, name: key.name, url: report.url ?? null, source: report.source ?? null } });
  }

  /** Keys of a deleted team stop working on every replica at once. */
  async invalidateTeam(tx: Tx, teamId: string): Promise<void> {
    await this.invalidate(tx, { teamId });
  }
}
