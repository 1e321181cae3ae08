import { badInput } from '../../kit/errors';
import { Permission, type Session } from '../../kit/session';
import type { Tx } from '../../kit/transaction';
import type { BillingInformationEntity } from './billing-information.entity';
import type { BillingInformationRepository } from './billing-information.repository';

export interface BillingInformationInput {
  legalName: string;
  address: string;
  country: string;
  taxId?: string | null;
}

const text = (value: string, field: string, max: number): string => {
  const v = value.trim();
  if (v.length === 0 || v.length > max) throw badInput(`${field} must be 1 to ${max} characters`, { field });
  return v;
};

/** A team's billing information: admins read and change it; members see none of it. */
export class BillingInformationService {
  constructor(
    private readonly infos: BillingInformationRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  assertCanManage(session: Session, teamId: string): void {
    session.assertPermission(teamId, Permission.BillingManage);
  }

  async set(session: Session, teamId: string, input: BillingInformationInput): Promise<BillingInformationEntity> {
    this.assertCanManage(session, teamId);
    const country = input.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) throw badInput('country must be an ISO 3166 alpha-2 code, e.g. "DE"', { field: 'country' });
    const taxId = input.taxId?.trim() ? text(input.taxId, 'taxId', 64) : null;
    return this.infos.save({
      teamId,
      legalName: text(input.legalName, 'legalName', 200),
      address: text(input.address, 'address', 1000),
      country,
      taxId,
      updatedBy: session.userId ?? null,
      updatedAt: this.now(),
    });
  }

  ofTeams(teamIds: readonly string[]): Promise<BillingInformationEntity[]> {
    return this.infos.findOfTeams(teamIds);
  }

  /** The team's billing information inside the caller's transaction (refunds, invoices). */
  findIn(tx: Tx, teamId: string): Promise<BillingInformationEntity | null> {
    return this.infos.findIn(tx, teamId);
  }
}
