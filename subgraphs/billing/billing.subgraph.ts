import DataLoader from 'dataloader';
import { loadBillingConfig } from '../kit/config';
import { loaderOfMany } from '../kit/loaders';
import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { CreditBalanceEntity } from './balance/credit-balance.entity';
import { CreditBalanceRepository } from './balance/credit-balance.repository';
import { billingReferences, CreditBalanceSubscriptionResolver, SpendingLimitResolver, TeamBalanceResolver } from './balance/credit-balance.resolver';
import { CreditBalanceService } from './balance/credit-balance.service';
import { BillingTeamType } from './balance/credit-balance.types';
import type { BillingLoaders, BillingServices } from './billing.context';
import { TeamDeletedConsumer } from './forfeit/team-deleted.consumer';
import { LedgerEntryEntity } from './ledger/ledger-entry.entity';
import { BillingInitial1732800000000 } from './migrations/1732800000000-billing-initial';
import { BillingPaymentsMetering1733000000000 } from './migrations/1733000000000-billing-payments-metering';
import { MeteringResolver } from './metering/metering.resolver';
import { MeteringService } from './metering/metering.service';
import { UsageRepository } from './metering/usage.repository';
import { LocalPaymentProcessor } from './payment/local-payment-processor';
import { PaymentMethodEntity } from './payment/payment-method.entity';
import { PaymentMethodRepository } from './payment/payment-method.repository';
import { PaymentMethodResolver, TeamPaymentMethodsResolver } from './payment/payment-method.resolver';
import { PaymentMethodService } from './payment/payment-method.service';
import { CreditPurchaseEntity } from './purchase/credit-purchase.entity';
import { CreditPurchaseRepository } from './purchase/credit-purchase.repository';
import { CreditPurchaseResolver } from './purchase/credit-purchase.resolver';
import { CreditPurchaseService } from './purchase/credit-purchase.service';

export const billingSubgraph: SubgraphDefinition<BillingServices, BillingLoaders> = {
  name: 'billing',
  entities: [CreditBalanceEntity, LedgerEntryEntity, PaymentMethodEntity, CreditPurchaseEntity],
  migrations: [BillingInitial1732800000000, BillingPaymentsMetering1733000000000],
  schema: {
    resolvers: [TeamBalanceResolver, CreditBalanceSubscriptionResolver, SpendingLimitResolver, PaymentMethodResolver, TeamPaymentMethodsResolver, CreditPurchaseResolver, MeteringResolver],
    orphanedTypes: [BillingTeamType],
    referenceResolvers: billingReferences,
  },
  createServices: ({ config, dataSource, outbox, live }) => {
    const billing = config.billing ?? loadBillingConfig({});
    const uow = new UnitOfWork(dataSource);
    const now = () => new Date();
    // The local processor behaves like a card processor's test mode; a real one plugs in here.
    const processor = new LocalPaymentProcessor();
    const balanceRows = new CreditBalanceRepository(uow);
    const balances = new CreditBalanceService(uow, balanceRows, outbox, live, now, billing.maxInvoicedLimitTicks);
    const paymentMethods = new PaymentMethodService(new PaymentMethodRepository(uow), processor, billing.blockedCardCountries, now);
    const purchases = new CreditPurchaseService(uow, new CreditPurchaseRepository(uow), paymentMethods, balances, processor, now);
    const metering = new MeteringService(uow, new UsageRepository(), balanceRows, balances, billing.prices, billing.meteringMode, now, outbox);
    return { balances, paymentMethods, purchases, processor, metering };
  },
  consumers: (services) => [new TeamDeletedConsumer(services.balances)],
  createLoaders: (services) => ({
    balance: new DataLoader((teamIds) => services.balances.balancesOf(teamIds)),
    paymentMethods: loaderOfMany((teamIds) => services.paymentMethods.ofTeams(teamIds), (m) => m.teamId),
  }),
};
