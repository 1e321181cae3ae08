import type DataLoader from 'dataloader';
import type { RequestContext } from '../kit/subgraph';
import type { BalanceRow } from './balance/credit-balance.repository';
import type { CreditBalanceService } from './balance/credit-balance.service';

export interface BillingServices {
  balances: CreditBalanceService;
}

export interface BillingLoaders {
  balance: DataLoader<string, BalanceRow>;
}

export type BillingContext = RequestContext<BillingServices, BillingLoaders>;
