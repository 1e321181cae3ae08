import type DataLoader from 'dataloader';
import type { RequestContext } from '../kit/subgraph';
import type { BalanceRow } from './balance/credit-balance.repository';
import type { CreditBalanceService } from './balance/credit-balance.service';
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
  balance: DataLoader<string, BalanceRow>;
  paymentMethods: DataLoader<string, PaymentMethodEntity[]>;
  billingInformation: DataLoader<string, BillingInformationEntity | null>;
  invoices: DataLoader<string, InvoiceView[]>;
}

export type BillingContext = RequestContext<BillingServices, BillingLoaders>;
