import type DataLoader from 'dataloader';
import type { RequestContext } from '../kit/subgraph';
import type { AccountService } from './account/account.service';
import type { AuthService } from './auth/auth.service';
import type { MfaService } from './mfa/mfa.service';
import type { MailSender } from '../kit/mail/mail-sender';
import type { AccountPurgeWorker } from './account/account-purge.worker';
import type { SessionService } from './session/session.service';
import type { UserService } from './user/user.service';
import type { SignInMethodService } from './sign-in-method/sign-in-method.service';
import type { PasswordResetService } from './password-reset/password-reset.service';
import type { UserType } from './user/user.type';
import type { TeamMembershipEntity } from './teammate/team-membership.entity';
import type { TeamMembershipRepository } from './teammate/team-membership.repository';

export interface IdentityServices {
  teamMemberships: TeamMembershipRepository;
  users: UserService;
  sessions: SessionService;
  auth: AuthService;
  mfa: MfaService;
  accounts: AccountService;
  mailSender: MailSender;
  accountPurger: AccountPurgeWorker;
  signInMethods: SignInMethodService;
  passwordResets: PasswordResetService;
}

export interface IdentityLoaders {
  user: DataLoader<string, UserType | null>;
  teamsOfUser: DataLoader<string, TeamMembershipEntity[]>;
}

export type IdentityContext = RequestContext<IdentityServices, IdentityLoaders>;
