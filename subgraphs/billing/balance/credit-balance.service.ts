import { randomUUID } from 'node:crypto';
import { EventType, type EventActor, type Outbox } from '../../kit/events';
import type { PostgresPubSub } from '../../kit/pubsub';
import { Permission, type Session } from '../../kit/session';
import type { UnitOfWork } from '../../kit/transaction';
import { LedgerEntryEntity, type LedgerEntryKind } from '../ledger/ledger-entry.entity';
import type { BalanceRow, CreditBalanceRepository } from './credit-balance.repository';
import { emptyBalance, fromMessage, toMessage, type BalanceMessage } from './credit-balance.view';

export const balanceTopic = (teamId: string) => `balance:${teamId}`;

export interface Posting {
  teamId: string;
  kind: LedgerEntryKind;
  prepaidDeltaTicks: bigint;
  invoicedDeltaTicks?: bigint;
  reference?: string;
  actor: EventActor | null;
}

export class CreditBalanceService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly balances: CreditBalanceRepository,
    private readonly outbox: Outbox,
    private readonly live: PostgresPubSub,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Balances of the given teams, zero for teams with no ledger entries. */
  async balancesOf(teamIds: readonly string[]): Promise<BalanceRow[]> {
    const rows = await this.balances.findByTeams(teamIds);
    const byTeam = new Map(rows.map((r) => [r.teamId, r]));
    const at = this.now();
    return teamIds.map((id) => byTeam.get(id) ?? emptyBalance(id, at));
  }

  assertCanRead(session: Session, teamId: string): void {
    session.assertPermission(teamId, Permission.BillingRead);
  }

  /**
   * Records a movement of money: ledger entry, balance, domain event and live update commit
   * together or not at all.
   */
  async post(posting: Posting): Promise<BalanceRow> {
    return this.uow.run(async (tx) => {
      const entry = Object.assign(new LedgerEntryEntity(), {
        id: randomUUID(),
        teamId: posting.teamId,
        kind: posting.kind,
        prepaidDeltaTicks: posting.prepaidDeltaTicks.toString(),
        invoicedDeltaTicks: (posting.invoicedDeltaTicks ?? 0n).toString(),
        reference: posting.reference ?? null,
        createdAt: this.now(),
      });
      const balance = await this.balances.post(tx, entry);
      const message = toMessage(balance);
      await this.outbox.enqueue(tx, {
        type: EventType.CreditBalanceChanged,
        aggregateId: posting.teamId,
        teamId: posting.teamId,
        actor: posting.actor,
        payload: { entryId: entry.id, kind: entry.kind, ...message },
      });
      const [sql, params] = this.live.notifyStatement(balanceTopic(posting.teamId), message);
      await tx.query(sql, params);
      return balance;
    });
  }

  /** Live balance changes of a team, for its members. Authorizes before anything is subscribed. */
  watch(session: Session, teamId: string): AsyncGenerator<BalanceRow> {
    this.assertCanRead(session, teamId);
    const messages = this.live.subscribe<BalanceMessage>(balanceTopic(teamId));
    return (async function* () {
      try {
        for await (const message of messages) yield fromMessage(message);
      } finally {
        await messages.return?.();
      }
    })();
  }

  recompute(teamId: string) {
    return this.balances.recompute(teamId);
  }
}
