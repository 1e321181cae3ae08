import { badInput, DomainError, ErrorCode, notFound } from '../../kit/errors';
import { isUuid } from '../../kit/loaders';
import { Permission, type Session } from '../../kit/session';
import type { UnitOfWork } from '../../kit/transaction';
import type { BalanceRow } from '../balance/credit-balance.repository';
import type { CreditBalanceService } from '../balance/credit-balance.service';
import type { BillingInformationService } from '../information/billing-information.service';
import type { PaymentProcessor } from '../payment/payment-processor';
import type { CreditPurchaseRepository } from '../purchase/credit-purchase.repository';
import { TICKS_PER_CENT } from '../purchase/credit-purchase.service';

export const refundNotAllowed = () =>
  new DomainError(ErrorCode.RefundNotAllowed, 'Prepaid credits are not refundable, except where the law of the billing country requires it');

/**
 * Refunds of prepaid credits: refused, except for teams whose billing country is one where the
 * law requires them (BILLING_REFUND_COUNTRIES). Only unspent credits of a successful purchase go
 * back to its card, recorded as a REFUND ledger entry in the same transaction.
 */
export class CreditRefundService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly purchases: CreditPurchaseRepository,
    private readonly balances: CreditBalanceService,
    private readonly billingInformation: BillingInformationService,
    private readonly processor: PaymentProcessor,
    private readonly refundCountries: readonly string[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async refund(session: Session, teamId: string, purchaseId: string, amountTicks: bigint): Promise<BalanceRow> {
    session.assertPermission(teamId, Permission.BillingManage);
    return this.uow.run(async (tx) => {
      const info = await this.billingInformation.findIn(tx, teamId);
      if (!info || !this.refundCountries.includes(info.country)) throw refundNotAllowed();
      if (amountTicks <= 0n || amountTicks % TICKS_PER_CENT !== 0n) {
        throw badInput('amountTicks must be a positive number of whole cents (a multiple of 100000000)', { field: 'amountTicks' });
      }
      const found = isUuid(purchaseId) ? await this.purchases.findOne(teamId, purchaseId) : null;
      if (!found || found.status !== 'SUCCEEDED' || !found.chargeId) throw notFound('Credit purchase');
      // The purchase, then the balance: the order purchases settle in, so the two never deadlock.
      const purchase = await this.purchases.lock(tx, found.id);
      const balance = await this.balances.lockIn(tx, teamId);
      const refunded = BigInt(purchase.refundedTicks);
      if (refunded + amountTicks > BigInt(purchase.amountTicks)) {
        throw badInput(`At most ${BigInt(purchase.amountTicks) - refunded} ticks of this purchase are left to refund`, { field: 'amountTicks' });
      }
      if (amountTicks > balance.prepaidTicks) throw badInput('Only unspent prepaid credits can be refunded', { field: 'amountTicks' });
      await this.purchases.transition(purchase.id, ['SUCCEEDED'], { refundedTicks: (refunded + amountTicks).toString(), updatedAt: this.now() }, tx);
      const after = await this.balances.postIn(tx, {
        teamId,
        kind: 'REFUND',
        prepaidDeltaTicks: -amountTicks,
        reference: `refund:${purchase.id}`,
        actor: session.userId ? { userId: session.userId } : null,
      });
      // Last, so a refused refund rolls everything back; the key makes a retried refund the same refund.
      await this.processor.refund(purchase.chargeId!, amountTicks / TICKS_PER_CENT, `refund:${purchase.id}:${refunded}`);
      return after;
    });
  }
}
