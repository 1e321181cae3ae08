import type DataLoader from 'dataloader';
import type { RequestContext } from '../kit/subgraph';
import type { BalanceRow } from './balance/credit-balance.repository';
import type { CreditBalanceService } from './balance/credit-balance.service';
import type { CreditAlertRow } from './alert/credit-alert.repository';
import type { CreditAlertService } from './alert/credit-alert.service';
import type { BillingApiKey, BillingApiKeyRepository } from './api-key/billing-api-key.repository';
import type { BillingApiKeyService } from './api-key/billing-api-key.service';
import type { BillingInformationEntity } from './information/billing-information.entity';
import type { BillingInformationService } from './information/billing-information.service';
import type { InvoiceService, InvoiceView } from './invoice/invoice.service';
import type { CreditRefundService } from './refund/credit-refund.service';
import type { UsageReportService } from './usage-report/usage-report.service';
import type { TokenizerService } from './tokenizer/tokenizer.service';
import type { MeteringService } from './metering/metering.service';
import type { PaymentMethodEntity } from './payment/payment-method.entity';
import type { PaymentMethodService } from './payment/payment-method.service';
import type { PaymentProcessor } from './payment/payment-processor';
import type { CreditPurchaseService } from './purchase/credit-purchase.service';

export interface BillingServices {
  balances: CreditBalanceService;
  alerts: CreditAlertService;
  apiKeys: BillingApiKeyService;
  /** Billing's copy of Team's API keys, kept by its consumer. */
  apiKeyRows: BillingApiKeyRepository;
  paymentMethods: PaymentMethodService;
  purchases: CreditPurchaseService;
  processor: PaymentProcessor;
  metering: MeteringService;
  billingInformation: BillingInformationService;
  refunds: CreditRefundService;
  invoices: InvoiceService;
  usageReports: UsageReportService;
  tokenizer: TokenizerService;
}

export interface BillingLoaders {
  apiKey: DataLoader<string, BillingApiKey | null>;
  creditAlerts: DataLoader<string, CreditAlertRow>;
  balance: DataLoader<string, BalanceRow>;
  paymentMethods: DataLoader<string, PaymentMethodEntity[]>;
  billingInformation: DataLoader<string, BillingInformationEntity | null>;
  invoices: DataLoader<string, InvoiceView[]>;
  invoicePreview: DataLoader<string, InvoiceView | null>;
}

export type BillingContext = RequestContext<BillingServices, BillingLoaders>;
