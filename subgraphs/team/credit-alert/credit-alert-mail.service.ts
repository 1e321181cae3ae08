import type { CreditAlertThresholdCrossedPayload } from '../../kit/events';
import type { MailRepository } from '../../kit/mail/mail.repository';
import { ticksToUsd } from '../../kit/money';
import type { Tx } from '../../kit/transaction';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { MembershipRepository } from '../member/membership.repository';
import type { TeamRepository } from '../team/team.repository';

/**
 * Mails a team's Admins when Billing reports that prepaid credits reached one of their alert
 * thresholds. Billing knows neither Admins nor addresses; Team has both, so it sends the mail.
 */
export class CreditAlertMailService {
  constructor(
    private readonly teams: TeamRepository,
    private readonly memberships: MembershipRepository,
    private readonly directory: DirectoryRepository,
    private readonly mail: MailRepository,
  ) {}

  /** Queues one mail per Admin address in the caller's transaction (a deleted team gets none). */
  async notifyIn(tx: Tx, alert: CreditAlertThresholdCrossedPayload): Promise<number> {
    const [team] = await this.teams.findByIds([alert.teamId]);
    if (!team) return 0;
    const admins = (await this.memberships.adminsOfTeams([alert.teamId])).map((m) => m.userId);
    const recipients = [...new Set((await this.directory.findVerifiedByUsers(admins)).map((d) => d.email))];
    const left = `$${ticksToUsd(BigInt(alert.prepaidTicks))}`;
    await this.mail.enqueue(
      tx,
      recipients.map((recipient) => ({
        recipient,
        subject: `Prepaid credits of "${team.name}" are down to ${alert.thresholdPercent}% of the last top-up`,
        body:
          `The team "${team.name}" has ${left} of prepaid credits left, at or below your alert threshold of ${alert.thresholdPercent}% ` +
          `of the last top-up ($${ticksToUsd(BigInt(alert.topUpTicks))}). Buy credits in the console to keep requests from being refused ` +
          `or added to the monthly invoice.`,
      })),
    );
    return recipients.length;
  }
}
