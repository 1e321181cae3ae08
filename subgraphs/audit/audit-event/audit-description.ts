import { EventType } from '../../kit/events';

/** How each domain event reads in the audit log: the action's name, as users search for it. */
const descriptions: Record<string, string> = {
  [EventType.UserSignedUp]: 'SignUp',
  [EventType.MfaEnabled]: 'EnableMfa',
  [EventType.MfaDisabled]: 'DisableMfa',
  [EventType.RecoveryCodesRegenerated]: 'RegenerateRecoveryCodes',
  [EventType.RecoveryCodeUsed]: 'UseRecoveryCode',
  [EventType.UserDeleted]: 'DeleteAccount',
  [EventType.UserRestored]: 'RestoreAccount',
  [EventType.UserPurged]: 'PurgeAccount',
  [EventType.UserEmailChangeRequested]: 'RequestEmailChange',
  [EventType.UserEmailChanged]: 'ChangeEmail',
  [EventType.UserEmailVerified]: 'VerifyEmail',
  [EventType.UserPasswordReset]: 'ResetPassword',
  [EventType.SignInMethodAdded]: 'AddSignInMethod',
  [EventType.SignInMethodRemoved]: 'RemoveSignInMethod',
  [EventType.TeamCreated]: 'CreateTeam',
  [EventType.TeamUpdated]: 'UpdateTeam',
  [EventType.TeamDeleted]: 'DeleteTeam',
  [EventType.TeamMemberAdded]: 'AddTeamMember',
  [EventType.TeamMemberRemoved]: 'RemoveTeamMember',
  [EventType.TeamMemberRoleChanged]: 'ChangeTeamMemberRole',
  [EventType.TeamInvitationCreated]: 'InviteTeamMember',
  [EventType.TeamInvitationCancelled]: 'CancelTeamInvitation',
  [EventType.TeamDomainAdded]: 'AddDomain',
  [EventType.TeamDomainVerified]: 'VerifyDomain',
  [EventType.TeamDomainUnverified]: 'UnverifyDomain',
  [EventType.TeamDomainRemoved]: 'RemoveDomain',
  [EventType.TeamDomainPolicyChanged]: 'SetDomainJoinPolicy',
  [EventType.TeamJoinRequested]: 'RequestToJoinTeam',
  [EventType.TeamJoinRequestDecided]: 'DecideJoinRequest',
  [EventType.ApiKeyCreated]: 'CreateApiKey',
  [EventType.ApiKeyListed]: 'ListApiKeys',
  [EventType.ApiKeyUpdated]: 'UpdateApiKey',
  [EventType.ApiKeyDisabled]: 'DisableApiKey',
  [EventType.ApiKeyEnabled]: 'EnableApiKey',
  [EventType.ApiKeyDeleted]: 'DeleteApiKey',
  [EventType.ApiKeyRotated]: 'RotateApiKey',
  [EventType.ApiKeyLeaked]: 'ApiKeyLeaked',
  [EventType.ManagementKeyCreated]: 'CreateManagementKey',
  [EventType.ManagementKeyRevoked]: 'RevokeManagementKey',
  [EventType.CreditBalanceChanged]: 'CreditBalanceChanged',
};

/** Unknown types still read sensibly: `team.member.removed` becomes `TeamMemberRemoved`. */
export function describeEvent(type: string): string {
  return (
    descriptions[type] ??
    type
      .split(/[._]/)
      .filter(Boolean)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('')
  );
}
