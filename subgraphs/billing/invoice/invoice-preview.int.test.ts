import { randomUUID } from 'node:crypto';
import { ASSERTION_HEADER, signAssertion } from '../../kit/auth';
import { Session } from '../../kit/session';
import { registerApiKey } from '../../../test/support/billing-keys';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';

const prices = { flat: { promptTicksPerToken: 100n, cachedPromptTicksPerToken: 10n, completionTicksPerToken: 0n, predefinedPromptTokens: 0 } };
let billing: StartedSubgraph<BillingServices>;

beforeAll(async () => {
  billing = await startSubgraph(billingSubgraph, { app: { consumers: false, relay: false }, billing: { prices } });
});

afterAll(async () => {
  await billing?.stop();
});

const reporter = new Session({ kind: 'service', service: 'usage-reporter' });

/** A team with no prepaid credits whose `requests` requests (10 prompt tokens each) went on the invoice. */
async function teamWithInvoicedUsage(userId: string, requests: number, legalName: string): Promise<string> {
  const teamId = randomUUID();
  const keyId = await registerApiKey(billing.app, teamId);
  const admin = new Session({ kind: 'user', userId, sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
  await billing.app.services.balances.setInvoicedSpendingLimit(admin, teamId, 10n ** 9n);
  await billing.app.services.billingInformation.set(admin, teamId, { legalName, address: '1 Main St', country: 'US' });
  const events = Array.from({ length: requests }, () => ({
    requestId: randomUUID(),
    apiKeyId: keyId,
    model: 'flat',
    promptTokens: 10,
    cachedPromptTokens: 0,
    completionTokens: 0,
    occurredAt: new Date(),
  }));
  expect((await billing.app.services.metering.record(reporter, events)).accepted).toBe(requests);
  return teamId;
}

describe('invoice previews of a list of teams', () => {
  it("reads every team's invoiced usage and billing details in one query each, and gives each team its own", async () => {
    const userId = randomUUID();
    const teamIds = [await teamWithInvoicedUsage(userId, 1, 'One Inc'), await teamWithInvoicedUsage(userId, 2, 'Two Inc'), await teamWithInvoicedUsage(userId, 3, 'Three Inc')];
    const memberships = teamIds.map((teamId) => ({ teamId, role: 'ADMIN' as const }));
    const assertion = signAssertion({ principal: { kind: 'user', userId, sessionId: randomUUID(), memberships }, requestId: randomUUID() }, billing.secret);
    const { result, statements } = await billing.app.infra.statements.capture(async () => {
      const response = await fetch(billing.app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [ASSERTION_HEADER]: assertion },
        body: JSON.stringify({
          query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Team { id invoicePreview { status billingDetails { legalName } total { ticks } } } } }',
          variables: { r: teamIds.map((id) => ({ __typename: 'Team', id })) },
        }),
      });
      return (await response.json()) as { data?: { _entities: { id: string; invoicePreview: { status: string; billingDetails: { legalName: string }; total: { ticks: string } } }[] }; errors?: unknown[] };
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((t) => [t.id, t.invoicePreview.status, t.invoicePreview.billingDetails.legalName, t.invoicePreview.total.ticks])).toEqual([
      [teamIds[0], 'PREVIEW', 'One Inc', '1000'],
      [teamIds[1], 'PREVIEW', 'Two Inc', '2000'],
      [teamIds[2], 'PREVIEW', 'Three Inc', '3000'],
    ]);
    expect(statements.filter((s) => /FROM billing\.usage_events/.test(s))).toHaveLength(1);
    expect(statements.filter((s) => /billing_information/.test(s))).toHaveLength(1);
  });
});
