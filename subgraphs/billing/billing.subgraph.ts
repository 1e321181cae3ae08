import DataLoader from 'dataloader';
import { loadBillingConfig } from '../kit/config';
import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { CreditBalanceEntity } from './balance/credit-balance.entity';
import { CreditBalanceRepository } from './balance/credit-balance.repository';
import { billingReferences, CreditBalanceSubscriptionResolver, SpendingLimitResolver, TeamBalanceResolver } from './balance/credit-balance.resolver';
import { CreditBalanceService } from './balance/credit-balance.service';
import { BillingTeamType } from './balance/credit-balance.types';
import type { BillingLoaders, BillingServices } from './billing.context';
import { TeamDeletedConsumer } from './forfeit/team-deleted.consumer';
import { CreditAlertRepository } from './alert/credit-alert.repository';
import { CreditAlertService } from './alert/credit-alert.service';
import { ApiKeyProjectionConsumer } from './api-key/api-key-projection.consumer';
import { BillingApiKeyEntity } from './api-key/billing-api-key.entity';
import { BillingApiKeyRepository } from './api-key/billing-api-key.repository';
import { BillingApiKeyService } from './api-key/billing-api-key.service';
import { billingApiKeyReference, BillingApiKeyResolver } from './api-key/billing-api-key.resolver';
import { CreditAlertsResolver, TeamCreditAlertsResolver } from './alert/credit-alert.resolver';
import { loaderById, loaderOfMany } from '../kit/loaders';
import { BillingApiKeysAlerts1733300000000 } from './migrations/1733300000000-billing-api-keys-alerts';
import { LedgerEntryEntity } from './ledger/ledger-entry.entity';
import { BillingInitial1732800000000 } from './migrations/1732800000000-billing-initial';
import { BillingPaymentsMetering1733000000000 } from './migrations/1733000000000-billing-payments-metering';
import { BillingInformationEntity } from './information/billing-information.entity';
import { BillingInformationRepository } from './information/billing-information.repository';
import { BillingInformationResolver, TeamBillingInformationResolver } from './information/billing-information.resolver';
import { BillingInformationService } from './information/billing-information.service';
import { InvoiceEntity, InvoiceLineEntity } from './invoice/invoice.entity';
import { InvoiceRepository } from './invoice/invoice.repository';
import { TeamInvoicesResolver } from './invoice/invoice.resolver';
import { InvoiceService } from './invoice/invoice.service';
import { BillingInvoices1733200000000 } from './migrations/1733200000000-billing-invoices';
import { CreditRefundResolver } from './refund/credit-refund.resolver';
import { CreditRefundService } from './refund/credit-refund.service';
import { UsageReportRepository } from './usage-report/usage-report.repository';
import { TeamUsageResolver } from './usage-report/usage-report.resolver';
import { UsageReportService } from './usage-report/usage-report.service';
import { TokenizerResolver } from './tokenizer/tokenizer.resolver';
import { TokenizerService } from './tokenizer/tokenizer.service';
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
  entities: [CreditBalanceEntity, LedgerEntryEntity, PaymentMethodEntity, CreditPurchaseEntity, BillingInformationEntity, InvoiceEntity, InvoiceLineEntity, BillingApiKeyEntity],
  migrations: [BillingInitial1732800000000, BillingPaymentsMetering1733000000000, BillingInvoices1733200000000, BillingApiKeysAlerts1733300000000],
  schema: {
    resolvers: [
      TeamBalanceResolver, CreditBalanceSubscriptionResolver, SpendingLimitResolver, PaymentMethodResolver, TeamPaymentMethodsResolver, CreditPurchaseResolver, MeteringResolver,
      BillingInformationResolver, TeamBillingInformationResolver, CreditRefundResolver, TeamInvoicesResolver, TeamUsageResolver, TokenizerResolver,
      BillingApiKeyResolver, TeamCreditAlertsResolver, CreditAlertsResolver,
    ],
    orphanedTypes: [BillingTeamType],
    referenceResolvers: { ...billingReferences, ApiKey: billingApiKeyReference },
  },
  createServices: ({ config, dataSource, outbox, live }) => {
    const billing = config.billing ?? loadBillingConfig({});
    const uow = new UnitOfWork(dataSource);
    const now = () => new Date();
    // The local processor behaves like a card processor's test mode; a real one plugs in here.
    const processor = new LocalPaymentProcessor();
    const balanceRows = new CreditBalanceRepository(uow);
    const alerts = new CreditAlertService(uow, new CreditAlertRepository(uow), outbox, now);
    const balances = new CreditBalanceService(uow, balanceRows, outbox, live, now, billing.maxInvoicedLimitTicks, alerts);
    const apiKeyRows = new BillingApiKeyRepository(uow);
    const paymentMethods = new PaymentMethodService(new PaymentMethodRepository(uow), processor, billing.blockedCardCountries, now);
    const purchaseRows = new CreditPurchaseRepository(uow);
    const purchases = new CreditPurchaseService(uow, purchaseRows, paymentMethods, balances, processor, now);
    const billingInformation = new BillingInformationService(new BillingInformationRepository(uow), now);
    const refunds = new CreditRefundService(uow, purchaseRows, balances, billingInformation, processor, billing.refundCountries, now);
    const invoices = new InvoiceService(uow, new InvoiceRepository(uow), balances, billingInformation, billing.prices, now);
    const metering = new MeteringService(uow, new UsageRepository(), balances, alerts, billing.prices, billing.meteringMode, now, outbox);
    const usageReports = new UsageReportService(new UsageReportRepository(uow));
    const apiKeys = new BillingApiKeyService(uow, apiKeyRows, now);
    return { balances, alerts, apiKeys, apiKeyRows, paymentMethods, purchases, processor, metering, billingInformation, refunds, invoices, usageReports, tokenizer: new TokenizerService(billing.prices) };
  },
  consumers: (services) => [new TeamDeletedConsumer(services.balances), new ApiKeyProjectionConsumer(services.apiKeyRows)],
  owners: (loaders) => ({ ApiKey: async (id) => (await loaders.apiKey.load(id))?.teamId }),
  // Idempotent: once last month is invoiced, running again issues nothing.
  jobs: (services) => [{ name: 'billing.invoices', everyMs: 60 * 60 * 1000, run: () => services.invoices.closeLastPeriod() }],
  createLoaders: (services) => ({
    apiKey: loaderById((ids) => services.apiKeys.findByIds(ids), (k) => k.id),
    creditAlerts: new DataLoader((teamIds) => services.alerts.ofTeams(teamIds)),
    balance: new DataLoader((teamIds) => services.balances.balancesOf(teamIds)),
    paymentMethods: loaderOfMany((teamIds) => services.paymentMethods.ofTeams(teamIds), (m) => m.teamId),
    billingInformation: loaderById((teamIds) => services.billingInformation.ofTeams(teamIds), (i) => i.teamId),
    invoices: loaderOfMany((teamIds) => services.invoices.invoicesOf(teamIds), (i) => i.teamId),
    invoicePreview: loaderById((teamIds) => services.invoices.previews(teamIds), (v) => v.teamId),
  }),
};
