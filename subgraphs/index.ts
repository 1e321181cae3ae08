import type { SubgraphName } from './kit/config';
import type { SubgraphDefinition } from './kit/subgraph';
import { auditSubgraph } from './audit/audit.subgraph';
import { billingSubgraph } from './billing/billing.subgraph';
import { identitySubgraph } from './identity/identity.subgraph';
import { teamSubgraph } from './team/team.subgraph';

/** Every subgraph of the graph, in start-up order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const subgraphs: Record<SubgraphName, SubgraphDefinition<any, any>> = {
  identity: identitySubgraph,
  team: teamSubgraph,
  billing: billingSubgraph,
  audit: auditSubgraph,
};
