import DataLoader from 'dataloader';
import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { CreditBalanceEntity } from './balance/credit-balance.entity';
import { CreditBalanceRepository } from './balance/credit-balance.repository';
import { billingReferences, CreditBalanceSubscriptionResolver, TeamBalanceResolver } from './balance/credit-balance.resolver';
import { CreditBalanceService } from './balance/credit-balance.service';
import { BillingTeamType } from './balance/credit-balance.types';
import type { BillingLoaders, BillingServices } from './billing.context';
import { LedgerEntryEntity } from './ledger/ledger-entry.entity';
import { BillingInitial1732800000000 } from './migrations/1732800000000-billing-initial';

export const billingSubgraph: SubgraphDefinition<BillingServices, BillingLoaders> = {
  name: 'billing',
  entities: [CreditBalanceEntity, LedgerEntryEntity],
  migrations: [BillingInitial1732800000000],
  schema: {
      resolvers: [TeamBalanceResolver, CreditBalanceSubscriptionResolver],
      orphanedTypes: [BillingTeamType],
      referenceResolvers: billingReferences,
    },
  createServices: ({ dataSource, outbox, live }) => {
    const uow = new UnitOfWork(dataSource);
    return { balances: new CreditBalanceService(uow, new CreditBalanceRepository(uow), outbox, live) };
  },
  createLoaders: (services) => ({
    balance: new DataLoader((teamIds) => services.balances.balancesOf(teamIds)),
  }),
};
