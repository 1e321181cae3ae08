import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer } from '../../kit/events';
import type { CreditBalanceService } from '../balance/credit-balance.service';

export interface TeamDeletedPayload {
  teamId: string;
}

/**
 * Deleting a team forfeits its prepaid credits: one FORFEIT ledger entry takes the whole prepaid
 * balance, and invoiced usage is switched off, so nothing more can be billed to the team.
 */
export class TeamDeletedConsumer implements EventConsumer {
  readonly name = 'billing.forfeit-on-team-deletion';
  readonly types = [EventType.TeamDeleted];

  constructor(private readonly balances: CreditBalanceService) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.TeamDeleted;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { teamId } = event.payload as unknown as TeamDeletedPayload;
    await this.balances.forfeitIn(tx, teamId, `team-deleted:${event.id}`, event.actor);
  }
}
