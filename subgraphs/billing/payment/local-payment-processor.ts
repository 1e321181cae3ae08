import { randomUUID } from 'node:crypto';
import { InvalidPaymentTokenError, type CardDetails, type ChargeOutcome, type ChargeRequest, type PaymentProcessor } from './payment-processor';

interface TestCard {
  brand: string;
  last4: string;
  country: string;
  behaviour: 'ok' | 'decline' | 'three_d_secure';
}

/** Stripe's test tokens (https://docs.stripe.com/testing), with the cards they stand for. */
const TEST_TOKENS: Record<string, TestCard> = {
  tok_visa: { brand: 'visa', last4: '4242', country: 'US', behaviour: 'ok' },
  tok_mastercard: { brand: 'mastercard', last4: '4444', country: 'US', behaviour: 'ok' },
  tok_chargeDeclined: { brand: 'visa', last4: '0002', country: 'US', behaviour: 'decline' },
  tok_in: { brand: 'visa', last4: '0008', country: 'IN', behaviour: 'ok' },
  tok_threeDSecureRequired: { brand: 'visa', last4: '3220', country: 'US', behaviour: 'three_d_secure' },
};

interface Charge {
  id: string;
  processorRef: string;
  amountCents: bigint;
  outcome: ChargeOutcome;
  refundedCents: bigint;
}

/**
 * A local stand-in for a card processor in test mode: Stripe's test tokens behave as they do
 * there (a good card, a card declined at charge, an Indian card, a card that needs 3-D Secure
 * which the `confirm` step completes), and charges are idempotent on their key.
 */
export class LocalPaymentProcessor implements PaymentProcessor {
  private readonly cards = new Map<string, TestCard>();
  private readonly charges = new Map<string, Charge>();
  private readonly chargesByKey = new Map<string, Charge>();
  private readonly refunds = new Map<string, string>();
  /** Every charge attempt, for tests that prove a refused card is never charged. */
  readonly chargeAttempts: ChargeRequest[] = [];

  async createCard(token: string): Promise<CardDetails> {
    const card = TEST_TOKENS[token];
    if (!card) throw new InvalidPaymentTokenError(`No such token: ${token}`);
    const processorRef = `card_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    this.cards.set(processorRef, card);
    return { processorRef, brand: card.brand, last4: card.last4, country: card.country };
  }

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const earlier = this.chargesByKey.get(request.idempotencyKey);
    if (earlier) {
      if (earlier.processorRef !== request.processorRef || earlier.amountCents !== request.amountCents) {
        throw new Error('Idempotency key reused with different parameters');
      }
      return earlier.outcome;
    }
    this.chargeAttempts.push(request);
    const card = this.cards.get(request.processorRef);
    if (!card) throw new InvalidPaymentTokenError(`No such card: ${request.processorRef}`);
    if (request.amountCents <= 0n) throw new Error('Charge amount must be positive');
    const id = `ch_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const outcome: ChargeOutcome =
      card.behaviour === 'decline'
        ? { status: 'declined', chargeId: id, declineCode: 'card_declined', message: 'Your card was declined.' }
        : card.behaviour === 'three_d_secure'
          ? { status: 'requires_action', chargeId: id }
          : { status: 'succeeded', chargeId: id };
    const charge: Charge = { id, processorRef: request.processorRef, amountCents: request.amountCents, outcome, refundedCents: 0n };
    this.charges.set(id, charge);
    this.chargesByKey.set(request.idempotencyKey, charge);
    return outcome;
  }

  async confirm(chargeId: string): Promise<ChargeOutcome> {
    const charge = this.charges.get(chargeId);
    if (!charge) throw new Error(`No such charge: ${chargeId}`);
    if (charge.outcome.status === 'requires_action') charge.outcome = { status: 'succeeded', chargeId };
    return charge.outcome;
  }

  async refund(chargeId: string, amountCents: bigint, idempotencyKey: string): Promise<{ refundId: string }> {
    const done = this.refunds.get(idempotencyKey);
    if (done) return { refundId: done };
    const charge = this.charges.get(chargeId);
    if (!charge || charge.outcome.status !== 'succeeded') throw new Error(`No succeeded charge ${chargeId}`);
    if (amountCents <= 0n || charge.refundedCents + amountCents > charge.amountCents) throw new Error('Refund exceeds the charge');
    charge.refundedCents += amountCents;
    const refundId = `re_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    this.refunds.set(idempotencyKey, refundId);
    return { refundId };
  }
}
