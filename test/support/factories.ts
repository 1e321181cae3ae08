import { randomBytes } from 'node:crypto';
import type { BillingServices } from '../../subgraphs/billing/billing.context';
import { CreateApiKeyDocument, MeDocument, SignUpDocument } from '../operations/generated';
import type { GraphClient } from './client';
import { eventually } from './eventually';
import type { TestGraph } from './graph';

let counter = 0;

export const uniqueEmail = (prefix = 'user') => `${prefix}.${++counter}.${randomBytes(3).toString('hex')}@example.com`;
export const PASSWORD = 'correct horse battery staple';

export interface SignedUpUser {
  id: string;
  email: string;
  token: string;
  client: GraphClient;
}

/** Signs a new user up through the gateway and returns a client authenticated as them. */
export async function signUpUser(anonymous: GraphClient, overrides: { email?: string; password?: string } = {}): Promise<SignedUpUser> {
  const email = overrides.email ?? uniqueEmail();
  const data = await anonymous.data(SignUpDocument, { input: { email, password: overrides.password ?? PASSWORD } });
  if (data.signUp.__typename !== 'AuthSession') throw new Error(`unexpected ${data.signUp.__typename}`);
  return { id: data.signUp.user.id, email, token: data.signUp.token, client: anonymous.as(data.signUp.token) };
}

/** A signed-up user whose Personal Team exists (it is created from the sign-up event). */
export async function signUpUserWithTeam(anonymous: GraphClient): Promise<SignedUpUser & { personalTeamId: string }> {
  const user = await signUpUser(anonymous);
  const personalTeamId = await eventually(async () => {
    const me = await user.client.data(MeDocument);
    const team = me.me?.teams.find((t) => t.team.isPersonal);
    if (!team) throw new Error('personal team not created yet');
    return team.team.id;
  });
  return { ...user, personalTeamId };
}

/**
 * Creates an API key of the team through the gateway as `user`, and waits until Billing has it
 * (from Team's `team.api_key.created` event), so usage reported with it is billed to the team.
 */
export async function createBilledApiKey(graph: TestGraph, user: SignedUpUser, teamId: string, name = 'billed key'): Promise<string> {
  const created = await user.client.data(CreateApiKeyDocument, { teamId, input: { name } });
  const keyId = created.createApiKey.apiKey.id;
  await eventually(async () => {
    const [known] = await (graph.apps.billing.services as BillingServices).apiKeys.findByIds([keyId]);
    if (!known) throw new Error('Billing has not seen the key yet');
  });
  return keyId;
}
