import { badInput, notFound } from '../../kit/errors';
import { Permission, type Session } from '../../kit/session';
import type { UnitOfWork } from '../../kit/transaction';
import { isUuid } from '../../kit/loaders';
import { periodStartOf } from '../ledger/period';
import { spendIn, type BillingApiKey, type BillingApiKeyRepository } from './billing-api-key.repository';

/** The most a cap may be: the same ceiling as the invoiced spending limit's default. */
const MAX_CAP_TICKS = 10n ** 16n;

/**
 * Monthly spend caps per API key. A cap is a billing control, so only the team's Admins set or
 * clear it (as they alone set the spending limit); a key's creator who is a Member cannot lift
 * the cap an Admin put on their key. Members see caps and spend.
 */
export class BillingApiKeyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: BillingApiKeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Keys as of now: a month that has ended no longer counts towards the spend. */
  async findByIds(ids: readonly string[]): Promise<BillingApiKey[]> {
    const period = periodStartOf(this.now());
    return (await this.keys.findByIds(ids.filter(isUuid))).map((k) => ({ ...k, spendPeriod: period, spendThisPeriodTicks: spendIn(k, period) }));
  }

  /** Sets (or, with null, clears) the key's monthly spend cap; it applies to this month's spend so far. */
  async setMonthlySpendCap(session: Session, keyId: string, capTicks: bigint | null): Promise<BillingApiKey> {
    if (capTicks !== null && (capTicks < 0n || capTicks > MAX_CAP_TICKS)) {
      throw badInput(`The cap must be from 0 to ${MAX_CAP_TICKS} ticks`, { field: 'capTicks' });
    }
    if (!isUuid(keyId)) throw notFound('API key');
    await this.uow.run(async (tx) => {
      const [key] = await this.keys.lock(tx, [keyId]);
      if (!key || !session.actsFor(key.teamId)) throw notFound('API key');
      session.assertPermission(key.teamId, Permission.BillingManage);
      await this.keys.setCap(tx, keyId, capTicks, this.now());
    });
    const [key] = await this.findByIds([keyId]);
    return key;
  }
}
