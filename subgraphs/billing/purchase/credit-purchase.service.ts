import { randomUUID } from 'node:crypto';
import { badInput, DomainError, ErrorCode, notFound } from '../../kit/errors';
import { isUuid } from '../../kit/loaders';
import { Permission, type Session } from '../../kit/session';
import type { UnitOfWork } from '../../kit/transaction';
import type { CreditBalanceService } from '../balance/credit-balance.service';
import { TICKS_PER_USD } from '../balance/money';
import type { ChargeOutcome, PaymentProcessor } from '../payment/payment-processor';
import type { PaymentMethodService } from '../payment/payment-method.service';
import type { CreditPurchaseEntity } from './credit-purchase.entity';
import type { CreditPurchaseRepository } from './credit-purchase.repository';

export const TICKS_PER_CENT = TICKS_PER_USD / 100n;
export const MIN_PURCHASE_TICKS = TICKS_PER_USD; // $1
export const MAX_PURCHASE_TICKS = 1_000_000n * TICKS_PER_USD; // $1,000,000

export interface PurchaseRequest {
  teamId: string;
  amountTicks: bigint;
  paymentMethodId: string;
  idempotencyKey: string;
}

const declined = (p: Pick<CreditPurchaseEntity, 'failureCode' | 'failureMessage'>) =>
  new DomainError(ErrorCode.CardDeclined, p.failureMessage ?? 'Your card was declined.', { declineCode: p.failureCode });

/**
 * Buying prepaid credits, idempotent on the caller's key with Stripe's rules: the same key and
 * parameters return the first result (a declined charge stays declined), different parameters
 * are an error, and nothing reaches the ledger unless the charge succeeded.
 */
export class CreditPurchaseService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly purchases: CreditPurchaseRepository,
    private readonly paymentMethods: PaymentMethodService,
    private readonly balances: CreditBalanceService,
    private readonly processor: PaymentProcessor,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async purchase(session: Session, request: PurchaseRequest): Promise<CreditPurchaseEntity> {
    session.assertPermission(request.teamId, Permission.BillingManage);
    const { amountTicks, idempotencyKey } = request;
    if (idempotencyKey.length === 0 || idempotencyKey.length > 255) throw badInput('idempotencyKey must be 1 to 255 characters', { field: 'idempotencyKey' });
    if (amountTicks < MIN_PURCHASE_TICKS || amountTicks > MAX_PURCHASE_TICKS) {
      throw badInput('amountTicks must be between $1 and $1,000,000', { field: 'amountTicks' });
    }
    if (amountTicks % TICKS_PER_CENT !== 0n) throw badInput('amountTicks must be whole cents (a multiple of 100000000)', { field: 'amountTicks' });
    const method = await this.paymentMethods.get(request.teamId, request.paymentMethodId);
    this.paymentMethods.assertCountryAccepted(method.country);

    const at = this.now();
    let { purchase, claimed } = await this.purchases.claim({
      id: randomUUID(),
      teamId: request.teamId,
      idempotencyKey,
      amountTicks: amountTicks.toString(),
      paymentMethodId: method.id,
      status: 'PENDING',
      chargeId: null,
      failureCode: null,
      failureMessage: null,
      refundedTicks: '0',
      createdBy: session.userId ?? null,
      createdAt: at,
      updatedAt: at,
    });
    if (!claimed) {
      if (BigInt(purchase.amountTicks) !== amountTicks || purchase.paymentMethodId !== method.id) {
        throw new DomainError(ErrorCode.IdempotencyKeyReused, 'This idempotency key was already used with different parameters');
      }
      if (purchase.status === 'FAILED') throw declined(purchase);
      if (purchase.status !== 'PENDING') return purchase;
      // PENDING: the first request is still in flight or died before finishing; the processor's
      // own idempotency makes charging again return that same charge.
    }
    const outcome = await this.processor.charge({ processorRef: method.processorRef, amountCents: amountTicks / TICKS_PER_CENT, idempotencyKey: purchase.id });
    return this.settle(purchase, outcome);
  }

  /** Completes a purchase whose card needed extra authentication (3-D Secure). */
  async confirm(session: Session, teamId: string, purchaseId: string): Promise<CreditPurchaseEntity> {
    session.assertPermission(teamId, Permission.BillingManage);
    const purchase = isUuid(purchaseId) ? await this.purchases.findOne(teamId, purchaseId) : null;
    if (!purchase) throw notFound('Credit purchase');
    if (purchase.status === 'SUCCEEDED') return purchase;
    if (purchase.status === 'FAILED') throw declined(purchase);
    if (purchase.status !== 'REQUIRES_CONFIRMATION' || !purchase.chargeId) {
      throw new DomainError(ErrorCode.IdempotentRequestInProgress, 'This purchase is still being processed; try again shortly');
    }
    return this.settle(purchase, await this.processor.confirm(purchase.chargeId));
  }

  private async settle(purchase: CreditPurchaseEntity, outcome: ChargeOutcome): Promise<CreditPurchaseEntity> {
    const at = this.now();
    if (outcome.status === 'declined') {
      await this.purchases.transition(purchase.id, ['PENDING', 'REQUIRES_CONFIRMATION'], {
        status: 'FAILED',
        chargeId: outcome.chargeId,
        failureCode: outcome.declineCode,
        failureMessage: outcome.message,
        updatedAt: at,
      });
      throw declined({ failureCode: outcome.declineCode, failureMessage: outcome.message });
    }
    if (outcome.status === 'requires_action') {
      await this.purchases.transition(purchase.id, ['PENDING'], { status: 'REQUIRES_CONFIRMATION', chargeId: outcome.chargeId, updatedAt: at });
      return { ...purchase, status: 'REQUIRES_CONFIRMATION', chargeId: outcome.chargeId };
    }
    // Succeeded: the credits and the purchase's new state commit together, exactly once.
    return this.uow.run(async (tx) => {
      const current = await this.purchases.lock(tx, purchase.id);
      if (current.status === 'SUCCEEDED') return current;
      await this.purchases.transition(purchase.id, ['PENDING', 'REQUIRES_CONFIRMATION'], { status: 'SUCCEEDED', chargeId: outcome.chargeId, updatedAt: at }, tx);
      await this.balances.postIn(tx, {
        teamId: purchase.teamId,
        kind: 'PURCHASE',
        prepaidDeltaTicks: BigInt(purchase.amountTicks),
        reference: `purchase:${purchase.id}`,
        actor: purchase.createdBy ? { userId: purchase.createdBy } : null,
      });
      return { ...current, status: 'SUCCEEDED', chargeId: outcome.chargeId };
    });
  }
}
