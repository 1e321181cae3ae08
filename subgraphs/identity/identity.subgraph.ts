import type { SubgraphDefinition } from '../kit/subgraph';
import { loaderById, loaderOfMany } from '../kit/loaders';
import { MailSender } from '../kit/mail/mail-sender';
import { MailRepository } from '../kit/mail/mail.repository';
import { UnitOfWork } from '../kit/transaction';
import { AccountPurgeWorker } from './account/account-purge.worker';
import { AccountResolver } from './account/account.resolver';
import { AccountService } from './account/account.service';
import { EmailChangeRepository } from './account/email-change.repository';
import { AuthResolver } from './auth/auth.resolver';
import { AuthFailureRepository } from './auth/auth-failure.repository';
import { AuthService } from './auth/auth.service';
import { passwordResetLimits, SignInLimiter } from './auth/sign-in-limiter';
import { IdentityAuthFailures1732900000001 } from './migrations/1732900000001-identity-auth-failures';
import { PasswordHasher } from './auth/password-hasher';
import type { IdentityLoaders, IdentityServices } from './identity.context';
import { IdentityInitial1732800000000 } from './migrations/1732800000000-identity-initial';
import { IdentityTeamMemberships1732900000000 } from './migrations/1732900000000-identity-team-memberships';
import { IdentityMfa1733000000000 } from './migrations/1733000000000-identity-mfa';
import { IdentityAccountLifecycle1733000000001 } from './migrations/1733000000001-identity-account-lifecycle';
import { MfaChallengeEntity, MfaTotpEntity, RecoveryCodeEntity } from './mfa/mfa.entity';
import { MfaRepository } from './mfa/mfa.repository';
import { MfaResolver } from './mfa/mfa.resolver';
import { MfaService } from './mfa/mfa.service';
import { SecretBox } from './mfa/secret-box';
import { AccountMail } from './notification/account-mail';
import { TeamMembershipConsumer } from './teammate/team-membership.consumer';
import { TeamMembershipEntity } from './teammate/team-membership.entity';
import { TeamMembershipRepository } from './teammate/team-membership.repository';
import { SessionEntity } from './session/session.entity';
import { SessionRepository } from './session/session.repository';
import { SessionResolver } from './session/session.resolver';
import { SessionService } from './session/session.service';
import { UserEntity } from './user/user.entity';
import { UserRepository } from './user/user.repository';
import { UserResolver, userReference } from './user/user.resolver';
import { UserService } from './user/user.service';
import { IdentitySignInMethods1733100000000 } from './migrations/1733100000000-identity-sign-in-methods';
import { OidcClient } from './sign-in-method/oidc-client';
import { SignInMethodEntity } from './sign-in-method/sign-in-method.entity';
import { SignInMethodRepository } from './sign-in-method/sign-in-method.repository';
import { SignInMethodResolver } from './sign-in-method/sign-in-method.resolver';
import { SignInMethodService } from './sign-in-method/sign-in-method.service';
import { RestoreTokenRepository } from './account/restore-token.repository';
import { DbIpCountryLocator } from './geoip/approximate-location';
import { IdentityVerificationReset1733200000000 } from './migrations/1733200000000-identity-verification-reset';
import { IdentityMailRetries1733500000000 } from './migrations/1733500000000-identity-mail-retries';
import { PasswordResetRepository } from './password-reset/password-reset.repository';
import { PasswordResetResolver } from './password-reset/password-reset.resolver';
import { PasswordResetService } from './password-reset/password-reset.service';

export const identitySubgraph: SubgraphDefinition<IdentityServices, IdentityLoaders> = {
  name: 'identity',
  entities: [UserEntity, SessionEntity, TeamMembershipEntity, MfaTotpEntity, RecoveryCodeEntity, MfaChallengeEntity, SignInMethodEntity],
  migrations: [
    IdentityInitial1732800000000,
    IdentityTeamMemberships1732900000000,
    IdentityAuthFailures1732900000001,
    IdentityMfa1733000000000,
    IdentityAccountLifecycle1733000000001,
    IdentitySignInMethods1733100000000,
    IdentityVerificationReset1733200000000,
    IdentityMailRetries1733500000000,
  ],
  schema: { resolvers: [UserResolver, AuthResolver, SessionResolver, MfaResolver, AccountResolver, SignInMethodResolver, PasswordResetResolver], referenceResolvers: userReference },
  createServices: ({ dataSource, outbox, config, logger }) => {
    const uow = new UnitOfWork(dataSource);
    const userRepository = new UserRepository(uow);
    // Loaded once per process; lookups are in memory.
    const locator = new DbIpCountryLocator();
    const sessions = new SessionService(new SessionRepository(uow), locator);
    const teamMemberships = new TeamMembershipRepository(uow);
    const box = new SecretBox(config.identitySecretKey ?? config.internalAuthSecret);
    const mailRepository = new MailRepository(uow, 'identity');
    const mail = new AccountMail(mailRepository);
    const mfa = new MfaService(uow, new MfaRepository(uow), userRepository, box, outbox);
    const passwordResetRepository = new PasswordResetRepository();
    const accounts = new AccountService(uow, userRepository, sessions, new EmailChangeRepository(uow), box, mail, outbox, passwordResetRepository, logger);
    const methods = new SignInMethodRepository(uow);
    const hasher = new PasswordHasher();
    const failures = new AuthFailureRepository(uow);
    const auth = new AuthService(uow, userRepository, sessions, hasher, outbox, new SignInLimiter(failures), mfa, mail, methods, accounts, new RestoreTokenRepository(), locator);
    const passwordResets = new PasswordResetService(
      uow,
      passwordResetRepository,
      userRepository,
      sessions,
      hasher,
      mail,
      outbox,
      new SignInLimiter(failures, passwordResetLimits),
      config.identityAccountsUrl ?? 'http://localhost:3000/account',
    );
    const providers = Object.fromEntries(Object.entries(config.identityOAuth ?? {}).map(([name, provider]) => [name, new OidcClient(provider)]));
    return {
      teamMemberships,
      signInMethods: new SignInMethodService(uow, methods, userRepository, auth, hasher, box, outbox, providers),
      users: new UserService(userRepository),
      sessions,
      mfa,
      accounts,
      mailSender: new MailSender(mailRepository, logger, config.mail, config.databaseUrl),
      accountPurger: new AccountPurgeWorker(accounts, logger, config.identityPurgeIntervalMs ?? 3_600_000),
      auth,
      passwordResets,
    };
  },
  createLoaders: (services) => ({
    user: loaderById(
      async (ids) => (await services.users.findByIds(ids)).map((u) => ({ id: u.id, email: u.email, xSubscription: u.xSubscription, emailVerified: u.emailVerifiedAt !== null })),
      (u) => u.id,
    ),
    teamsOfUser: loaderOfMany((ids) => services.teamMemberships.findByUsers(ids), (m) => m.userId),
  }),
  teammates: (loaders) => ({ teamsOfUser: async (userId) => (await loaders.teamsOfUser.load(userId)).map((m) => m.teamId) }),
  consumers: (services) => [new TeamMembershipConsumer(services.teamMemberships)],
  workers: (services) => [services.mailSender, services.accountPurger],
  internalRoutes: (services) => ({
    // The gateway turns bearer tokens into users here, one or many at a time.
    'resolve-sessions': async (body) => {
      const tokens = (body as { tokens?: unknown })?.tokens;
      if (!Array.isArray(tokens) || tokens.length > 1000) return { sessions: [] };
      return { sessions: await Promise.all(tokens.map((t) => (typeof t === 'string' ? services.sessions.resolve(t) : null))) };
    },
    // Operators (and schedulers) run the purge of expired deletions on demand.
    'purge-deleted-accounts': async () => ({ purged: await services.accounts.purgeExpired() }),
  }),
};
