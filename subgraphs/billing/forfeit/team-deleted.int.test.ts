import { randomUUID } from 'node:crypto';
import { createEvent, EventType } from '../../kit/events';
import { Session } from '../../kit/session';
import { eventually } from '../../../test/support/eventually';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';

let billing: StartedSubgraph<BillingServices>;

beforeAll(async () => {
  billing = await startSubgraph(billingSubgraph);
});

afterAll(async () => {
  await billing?.stop();
});

describe('team deletion', () => {
  it('forfeits the prepaid credits as one FORFEIT ledger entry, once, from the team.deleted event', async () => {
    const teamId = randomUUID();
    const services = billing.app.services;
    await services.balances.post({ teamId, kind: 'PURCHASE', prepaidDeltaTicks: 123_456_789n, actor: null });
    const admin = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
    await services.balances.setInvoicedSpendingLimit(admin, teamId, 1000n);
    const event = createEvent('team', { type: EventType.TeamDeleted, aggregateId: teamId, teamId, actor: { userId: admin.userId }, payload: { teamId } });
    await billing.app.bus.publish([event]);
    await billing.app.bus.publish([event]); // redelivered: applied once
    await eventually(async () => {
      const [b] = await services.balances.balancesOf([teamId]);
      expect(b.prepaidTicks).toBe(0n);
    });
    await new Promise((r) => setTimeout(r, 200));
    const entries = await billing.app.infra.dataSource.query(
      `SELECT kind, prepaid_delta_ticks::text AS delta, reference FROM billing.ledger_entries WHERE team_id = $1 AND kind = 'FORFEIT'`,
      [teamId],
    );
    expect(entries).toEqual([{ kind: 'FORFEIT', delta: '-123456789', reference: `team-deleted:${event.id}` }]);
    const [b] = await services.balances.balancesOf([teamId]);
    expect(b.invoicedLimitTicks).toBe(0n);
    expect(await services.balances.recompute(teamId)).toEqual({ prepaidTicks: 0n, invoicedTicks: 0n });
  });
});
