import { randomUUID } from 'node:crypto';
import { badInput, notFound } from '../../kit/errors';
import { EventType, type EventActor, type Outbox } from '../../kit/events';
import { managementScopes, Permission, type Session } from '../../kit/session';
import type { UnitOfWork } from '../../kit/transaction';
import { generateKey, hashApiKey, isWellFormedKey, MANAGEMENT_KEY_PREFIX, redactApiKey } from '../api-key/api-key-format';
import { ManagementKeyEntity } from './management-key.entity';
import type { ManagementKeyRepository } from './management-key.repository';

export interface ResolvedManagementKey {
  keyId: string;
  teamId: string;
  scopes: string[];
  createdBy: string;
}

/** Management keys: Admins grant partners scoped access to one team, and revoke it. */
export class ManagementKeyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: ManagementKeyRepository,
    private readonly outbox: Outbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Live management keys of each team (for the per-request loader; callers check access). */
  ofTeams(teamIds: readonly string[]): Promise<ManagementKeyEntity[]> {
    return this.keys.ofTeams(teamIds);
  }

  async create(session: Session, teamId: string, name: string, scopes: string[], actor: EventActor): Promise<{ key: ManagementKeyEntity; secret: string }> {
    session.assertPermission(teamId, Permission.TeamModify);
    if (!name.trim() || name.length > 100) throw badInput('Key name must be 1 to 100 characters', { field: 'name' });
    const unknown = scopes.filter((s) => !(managementScopes as readonly string[]).includes(s));
    if (unknown.length || scopes.length === 0) throw badInput(`Scopes must be some of: ${managementScopes.join(', ')}`, { field: 'scopes' });
    const secret = generateKey(MANAGEMENT_KEY_PREFIX);
    const key = Object.assign(new ManagementKeyEntity(), {
      id: randomUUID(),
      teamId,
      name: name.trim(),
      secretHash: hashApiKey(secret),
      redactedKey: redactApiKey(secret),
      scopes: [...new Set(scopes)],
      createdBy: session.requireUserId(),
      createdAt: this.now(),
      revokedAt: null,
    });
    await this.uow.run(async (tx) => {
      await this.keys.insert(tx, key);
      await this.outbox.enqueue(tx, { type: EventType.ManagementKeyCreated, aggregateId: teamId, teamId, actor, payload: { keyId: key.id, name: key.name, scopes: key.scopes } });
    });
    return { key, secret };
  }

  async revoke(session: Session, teamId: string, id: string, actor: EventActor): Promise<boolean> {
    session.assertPermission(teamId, Permission.TeamModify);
    return this.uow.run(async (tx) => {
      if (!(await this.keys.revoke(tx, teamId, id, this.now()))) throw notFound('Management key');
      await this.outbox.enqueue(tx, { type: EventType.ManagementKeyRevoked, aggregateId: teamId, teamId, actor, payload: { keyId: id } });
      return true;
    });
  }

  /** For the gateway: the live key behind each presented secret, or null. */
  async resolve(secrets: string[]): Promise<(ResolvedManagementKey | null)[]> {
    const wellFormed = secrets.map((s) => (isWellFormedKey(s, MANAGEMENT_KEY_PREFIX) ? hashApiKey(s) : null));
    const found = await this.keys.findLiveByHashes(wellFormed.filter((h): h is Buffer => h !== null));
    const byHash = new Map(found.map((k) => [k.secretHash.toString('hex'), k]));
    return wellFormed.map((hash) => {
      const key = hash && byHash.get(hash.toString('hex'));
      return key ? { keyId: key.id, teamId: key.teamId, scopes: key.scopes, createdBy: key.createdBy } : null;
    });
  }
}
