import { LocalPaymentProcessor } from './local-payment-processor';
import { InvalidPaymentTokenError } from './payment-processor';

describe('local payment processor (Stripe test mode)', () => {
  const processor = new LocalPaymentProcessor();

  it.each([
    ['tok_visa', 'visa', '4242', 'US'],
    ['tok_mastercard', 'mastercard', '4444', 'US'],
    ['tok_in', 'visa', '0008', 'IN'],
  ])('turns %s into a %s card ending %s issued in %s', async (token, brand, last4, country) => {
    expect(await processor.createCard(token)).toMatchObject({ brand, last4, country });
  });

  it('refuses unknown tokens and card numbers', async () => {
    await expect(processor.createCard('4242424242424242')).rejects.toBeInstanceOf(InvalidPaymentTokenError);
  });

  it('charges a good card once per idempotency key', async () => {
    const card = await processor.createCard('tok_visa');
    const first = await processor.charge({ processorRef: card.processorRef, amountCents: 500n, idempotencyKey: 'k1' });
    const again = await processor.charge({ processorRef: card.processorRef, amountCents: 500n, idempotencyKey: 'k1' });
    expect(first.status).toBe('succeeded');
    expect(again).toEqual(first);
    await expect(processor.charge({ processorRef: card.processorRef, amountCents: 600n, idempotencyKey: 'k1' })).rejects.toThrow(/different parameters/);
  });

  it('declines tok_chargeDeclined at charge, not when the card is added', async () => {
    const card = await processor.createCard('tok_chargeDeclined');
    expect(await processor.charge({ processorRef: card.processorRef, amountCents: 500n, idempotencyKey: 'k2' })).toMatchObject({ status: 'declined', declineCode: 'card_declined' });
  });

  it('asks for 3-D Secure on tok_threeDSecureRequired and succeeds after confirm', async () => {
    const card = await processor.createCard('tok_threeDSecureRequired');
    const charge = await processor.charge({ processorRef: card.processorRef, amountCents: 500n, idempotencyKey: 'k3' });
    expect(charge.status).toBe('requires_action');
    expect(await processor.confirm(charge.chargeId)).toEqual({ status: 'succeeded', chargeId: charge.chargeId });
  });

  it('refunds at most what was charged', async () => {
    const card = await processor.createCard('tok_visa');
    const charge = await processor.charge({ processorRef: card.processorRef, amountCents: 500n, idempotencyKey: 'k4' });
    await processor.refund(charge.chargeId, 300n, 'r1');
    await expect(processor.refund(charge.chargeId, 300n, 'r2')).rejects.toThrow(/exceeds/);
  });
});
