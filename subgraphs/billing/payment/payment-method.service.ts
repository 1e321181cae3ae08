import { randomUUID } from 'node:crypto';
import { badInput, DomainError, ErrorCode, notFound } from '../../kit/errors';
import { isUuid } from '../../kit/loaders';
import { Permission, type Session } from '../../kit/session';
import type { PaymentMethodEntity } from './payment-method.entity';
import type { PaymentMethodRepository } from './payment-method.repository';
import { InvalidPaymentTokenError, type PaymentProcessor } from './payment-processor';

export const cardCountryNotSupported = (country: string) =>
  new DomainError(ErrorCode.CardCountryNotSupported, `Cards issued in ${country} are not accepted`, { country });

export class PaymentMethodService {
  constructor(
    private readonly methods: PaymentMethodRepository,
    private readonly processor: PaymentProcessor,
    private readonly blockedCountries: readonly string[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Admins add a card from the processor's token. A card from a refused country is never stored or charged. */
  async add(session: Session, teamId: string, processorToken: string): Promise<PaymentMethodEntity> {
    session.assertPermission(teamId, Permission.BillingManage);
    const token = processorToken.trim();
    if (/^[\d\s-]{12,}$/.test(token)) throw badInput('Send a token from the payment processor, never a card number', { field: 'processorToken' });
    if (token.length === 0 || token.length > 255) throw badInput('processorToken must be 1 to 255 characters', { field: 'processorToken' });
    let card;
    try {
      card = await this.processor.createCard(token);
    } catch (err) {
      if (err instanceof InvalidPaymentTokenError) throw new DomainError(ErrorCode.InvalidPaymentToken, 'The payment processor does not know this token');
      throw err;
    }
    this.assertCountryAccepted(card.country);
    return this.methods.insert({ id: randomUUID(), teamId, ...card, createdBy: session.userId ?? null, createdAt: this.now() });
  }

  assertCountryAccepted(country: string): void {
    if (this.blockedCountries.includes(country.toUpperCase())) throw cardCountryNotSupported(country);
  }

  /** A payment method of the team; another team's id is not found. */
  async get(teamId: string, id: string): Promise<PaymentMethodEntity> {
    const method = isUuid(id) ? await this.methods.findOne(teamId, id) : null;
    if (!method) throw notFound('Payment method');
    return method;
  }

  assertCanManage(session: Session, teamId: string): void {
    session.assertPermission(teamId, Permission.BillingManage);
  }

  ofTeams(teamIds: readonly string[]): Promise<PaymentMethodEntity[]> {
    return this.methods.findOfTeams(teamIds);
  }
}
