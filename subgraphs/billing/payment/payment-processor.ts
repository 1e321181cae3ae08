/**
 * What Billing needs from a card payment processor. Cards reach us only as the processor's
 * tokens (never card numbers); amounts are whole US cents, as processors charge them.
 */
export interface CardDetails {
  /** The processor's id for the stored card. */
  processorRef: string;
  brand: string;
  last4: string;
  /** ISO 3166 alpha-2 country that issued the card. */
  country: string;
}

export type ChargeOutcome =
  | { status: 'succeeded'; chargeId: string }
  | { status: 'requires_action'; chargeId: string }
  | { status: 'declined'; chargeId: string; declineCode: string; message: string };

export interface ChargeRequest {
  processorRef: string;
  amountCents: bigint;
  /** The processor's own idempotency key: the same key always means the same charge. */
  idempotencyKey: string;
}

export class InvalidPaymentTokenError extends Error {}

export interface PaymentProcessor {
  /** Turns a one-time token into a stored card; throws InvalidPaymentTokenError for an unknown token. */
  createCard(token: string): Promise<CardDetails>;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** Completes a charge that needed extra authentication (3-D Secure). */
  confirm(chargeId: string): Promise<ChargeOutcome>;
  refund(chargeId: string, amountCents: bigint, idempotencyKey: string): Promise<{ refundId: string }>;
}
