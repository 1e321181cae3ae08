import { randomBytes, randomUUID } from 'node:crypto';
import { badInput, DomainError, notFound } from '../../kit/errors';
import { emailDomain } from '../../kit/email';
import { EventType, type EventActor, type Outbox } from '../../kit/events';
import { Permission, type Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { MembershipEntity } from '../member/membership.entity';
import type { MembershipRepository } from '../member/membership.repository';
import type { TeamRepository } from '../team/team.repository';
import type { DnsTxtLookup } from './dns-txt-lookup';
import { DomainEntity, JoinRequestEntity, type DomainJoinPolicy } from './domain.entity';
import type { DomainRepository } from './domain.repository';

export const DomainErrorCode = {
  DomainTaken: 'DOMAIN_TAKEN',
  VerificationFailed: 'DOMAIN_VERIFICATION_FAILED',
  DomainExists: 'DOMAIN_ALREADY_ADDED',
} as const;

const HOSTNAME = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const txtRecordFor = (token: string) => `domain-verification=${token}`;

/**
 * Verified domains: a team proves it owns a domain with a DNS TXT record, and people signing up
 * with an email at that domain join the team (or ask to, when the Admins want to approve).
 */
export class DomainService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly teams: TeamRepository,
    private readonly domains: DomainRepository,
    private readonly memberships: MembershipRepository,
    private readonly dns: DnsTxtLookup,
    private readonly outbox: Outbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Domains of each team (for the per-request loader; callers check access). */
  ofTeams(teamIds: readonly string[]): Promise<DomainEntity[]> {
    return this.domains.ofTeams(teamIds);
  }

  /** Pending join requests of each team (for the per-request loader; callers check access). */
  pendingJoinRequestsOfTeams(teamIds: readonly string[]): Promise<JoinRequestEntity[]> {
    return this.domains.pendingJoinRequestsOfTeams(teamIds);
  }

  async add(session: Session, teamId: string, rawDomain: string, actor: EventActor): Promise<DomainEntity> {
    session.assertPermission(teamId, Permission.TeamModify);
    const domain = rawDomain.trim().toLowerCase().replace(/\.$/, '');
    if (!HOSTNAME.test(domain)) throw badInput('Enter a domain name such as example.com', { field: 'domain' });
    return this.uow.run(async (tx) => {
      if (!(await this.teams.lock(tx, teamId))) throw notFound('Team');
      const owner = await this.domains.verifiedFor(tx, domain);
      if (owner && owner.teamId !== teamId) throw new DomainError(DomainErrorCode.DomainTaken, 'Another team has verified this domain');
      const entity = Object.assign(new DomainEntity(), {
        id: randomUUID(),
        teamId,
        domain,
        token: randomBytes(16).toString('hex'),
        status: 'PENDING',
        joinPolicy: 'AUTO',
        createdAt: this.now(),
        verifiedAt: null,
        checkedAt: null,
      });
      try {
        await this.domains.insert(tx, entity);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new DomainError(DomainErrorCode.DomainExists, 'This team has already added this domain');
        throw err;
      }
      await this.outbox.enqueue(tx, { type: EventType.TeamDomainAdded, aggregateId: teamId, teamId, actor, payload: { teamId, domainId: entity.id, domain } });
      return entity;
    });
  }

  /**
   * Looks the TXT record up now. Found: the domain is verified (unless another team holds it).
   * Missing: a verified domain falls back to pending, and the caller is told verification failed.
   */
  async verify(session: Session, teamId: string, domainId: string, actor: EventActor): Promise<DomainEntity> {
    session.assertPermission(teamId, Permission.TeamModify);
    const current = await this.uow.run((tx) => this.domains.lock(tx, teamId, domainId));
    if (!current) throw notFound('Domain');
    const records = await this.dns.txt(current.domain);
    const published = records.includes(txtRecordFor(current.token));
    const result = await this.uow.run(async (tx) => {
      const domain = await this.domains.lock(tx, teamId, domainId);
      if (!domain) throw notFound('Domain');
      domain.checkedAt = this.now();
      if (published) {
        const owner = await this.domains.verifiedFor(tx, domain.domain);
        if (owner && owner.id !== domain.id) throw new DomainError(DomainErrorCode.DomainTaken, 'Another team has verified this domain');
        if (domain.status !== 'VERIFIED') {
          Object.assign(domain, { status: 'VERIFIED', verifiedAt: this.now() });
          await this.outbox.enqueue(tx, { type: EventType.TeamDomainVerified, aggregateId: teamId, teamId, actor, payload: { teamId, domainId, domain: domain.domain } });
        }
      } else if (domain.status === 'VERIFIED') {
        Object.assign(domain, { status: 'PENDING', verifiedAt: null });
        await this.outbox.enqueue(tx, { type: EventType.TeamDomainUnverified, aggregateId: teamId, teamId, actor, payload: { teamId, domainId, domain: domain.domain, reason: 'txt-record-missing' } });
      }
      try {
        await this.domains.save(tx, domain);
      } catch (err) {
        // Two teams verifying the same domain at once: the unique index lets one win.
        if ((err as { code?: string }).code === '23505') throw new DomainError(DomainErrorCode.DomainTaken, 'Another team has verified this domain');
        throw err;
      }
      return domain;
    });
    if (!published) {
      throw new DomainError(DomainErrorCode.VerificationFailed, `No TXT record "${txtRecordFor(result.token)}" found at ${result.domain}`, { status: result.status });
    }
    return result;
  }

  async setJoinPolicy(session: Session, teamId: string, domainId: string, policy: DomainJoinPolicy, actor: EventActor): Promise<DomainEntity> {
    session.assertPermission(teamId, Permission.TeamModify);
    return this.uow.run(async (tx) => {
      const domain = await this.domains.lock(tx, teamId, domainId);
      if (!domain) throw notFound('Domain');
      domain.joinPolicy = policy;
      await this.domains.save(tx, domain);
      await this.outbox.enqueue(tx, { type: EventType.TeamDomainPolicyChanged, aggregateId: teamId, teamId, actor, payload: { teamId, domainId, policy } });
      return domain;
    });
  }

  async remove(session: Session, teamId: string, domainId: string, actor: EventActor): Promise<boolean> {
    session.assertPermission(teamId, Permission.TeamModify);
    return this.uow.run(async (tx) => {
      const domain = await this.domains.lock(tx, teamId, domainId);
      if (!domain) throw notFound('Domain');
      await this.domains.remove(tx, domainId);
      await this.outbox.enqueue(tx, { type: EventType.TeamDomainRemoved, aggregateId: teamId, teamId, actor, payload: { teamId, domainId, domain: domain.domain } });
      return true;
    });
  }

  /** Someone verified their email: join the team that verified its domain, or ask to. */
  async onEmailVerified(tx: Tx, userId: string, email: string, actor: EventActor | null): Promise<void> {
    const domain = await this.domains.verifiedFor(tx, emailDomain(email));
    if (!domain) return;
    const teamId = domain.teamId;
    if (domain.joinPolicy === 'AUTO') {
      const membership = Object.assign(new MembershipEntity(), { teamId, userId, role: 'MEMBER', createdAt: this.now() });
      if (await this.memberships.insertIfAbsent(tx, membership)) {
        await this.outbox.enqueue(tx, { type: EventType.TeamMemberAdded, aggregateId: teamId, teamId, actor, payload: { teamId, userId, role: 'MEMBER', viaDomain: domain.domain } });
      }
      return;
    }
    const request = Object.assign(new JoinRequestEntity(), { id: randomUUID(), teamId, userId, email, status: 'PENDING', createdAt: this.now(), decidedBy: null, decidedAt: null });
    await this.domains.insertJoinRequest(tx, request);
    await this.outbox.enqueue(tx, { type: EventType.TeamJoinRequested, aggregateId: teamId, teamId, actor, payload: { teamId, userId, requestId: request.id, domain: domain.domain } });
  }

  async decideJoinRequest(session: Session, teamId: string, requestId: string, approve: boolean, actor: EventActor): Promise<JoinRequestEntity> {
    session.assertPermission(teamId, Permission.MembersManage);
    return this.uow.run(async (tx) => {
      const request = await this.domains.lockJoinRequest(tx, teamId, requestId);
      if (!request) throw notFound('Join request');
      Object.assign(request, { status: approve ? 'APPROVED' : 'REFUSED', decidedBy: session.userId, decidedAt: this.now() });
      await this.domains.saveJoinRequest(tx, request);
      await this.outbox.enqueue(tx, { type: EventType.TeamJoinRequestDecided, aggregateId: teamId, teamId, actor, payload: { teamId, requestId, userId: request.userId, approved: approve } });
      if (approve) {
        const membership = Object.assign(new MembershipEntity(), { teamId, userId: request.userId, role: 'MEMBER', createdAt: this.now() });
        if (await this.memberships.insertIfAbsent(tx, membership)) {
          await this.outbox.enqueue(tx, { type: EventType.TeamMemberAdded, aggregateId: teamId, teamId, actor, payload: { teamId, userId: request.userId, role: 'MEMBER' } });
        }
      }
      return request;
    });
  }
}
