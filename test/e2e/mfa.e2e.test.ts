import { base32Decode, hotp, totpStep } from '../../subgraphs/identity/mfa/totp';
import {
  CompleteMfaChallengeDocument,
  ConfirmMfaEnrollmentDocument,
  DisableMfaDocument,
  MeDocument,
  MyMfaDocument,
  RegenerateRecoveryCodesDocument,
  SignInDocument,
  StartMfaEnrollmentDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { PASSWORD, signUpUser, type SignedUpUser } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
useGraph((started) => ({ graph, anonymous } = started));

/** The code an authenticator app shows `offset` steps from now. */
const codeAt = (secret: string, offset = 0) => hotp(base32Decode(secret), totpStep(Date.now()) + offset);
const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;

/** Makes the user's sessions look signed in long ago, so sensitive actions need a fresh sign-in. */
async function ageSessions(userId: string): Promise<void> {
  await graph.apps.identity.infra.dataSource.query(`UPDATE identity.sessions SET created_at = created_at - interval '10 minutes' WHERE user_id = $1`, [userId]);
}

async function auditTypes(userId: string): Promise<string[]> {
  const rows: { event_type: string }[] = await graph.apps.audit.infra.dataSource.query(
    `SELECT event_type FROM audit.audit_events WHERE actor_user_id = $1 ORDER BY occurred_at`,
    [userId],
  );
  return rows.map((r) => r.event_type);
}

async function enrol(user: SignedUpUser): Promise<{ secret: string; codes: string[] }> {
  const { startMfaEnrollment } = await user.client.data(StartMfaEnrollmentDocument);
  const { confirmMfaEnrollment } = await user.client.data(ConfirmMfaEnrollmentDocument, { totp: codeAt(startMfaEnrollment.secret) });
  return { secret: startMfaEnrollment.secret, codes: confirmMfaEnrollment.codes };
}

const signIn = (email: string, extra: { totp?: string; recoveryCode?: string } = {}) => anonymous.request(SignInDocument, { input: { email, password: PASSWORD, ...extra } });

describe('enrolling in TOTP', () => {
  it('gives a QR-ready otpauth URI and turns MFA on only with a valid first code', async () => {
    const user = await signUpUser(anonymous);
    const { startMfaEnrollment } = await user.client.data(StartMfaEnrollmentDocument);
    const uri = new URL(startMfaEnrollment.otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(startMfaEnrollment.secret);
    expect(startMfaEnrollment.otpauthUri).toContain(encodeURIComponent(user.email));

    const wrong = await user.client.request(ConfirmMfaEnrollmentDocument, { totp: String((Number(codeAt(startMfaEnrollment.secret)) + 1) % 1_000_000).padStart(6, '0') });
    expect(codeOf(wrong)).toBe('INVALID_MFA_CODE');
    expect((await user.client.data(MyMfaDocument)).me?.mfa.enabled).toBe(false);

    const { confirmMfaEnrollment } = await user.client.data(ConfirmMfaEnrollmentDocument, { totp: codeAt(startMfaEnrollment.secret) });
    expect(confirmMfaEnrollment.codes).toHaveLength(10);
    expect(new Set(confirmMfaEnrollment.codes).size).toBe(10);
    expect((await user.client.data(MyMfaDocument)).me?.mfa).toEqual({ enabled: true, recoveryCodesRemaining: 10 });
    await eventually(async () => expect(await auditTypes(user.id)).toContain('identity.mfa.enabled'));

    // Neither the secret nor the codes are stored as given.
    const [row] = await graph.apps.identity.infra.dataSource.query(`SELECT secret_ciphertext FROM identity.mfa_totp WHERE user_id = $1`, [user.id]);
    expect((row.secret_ciphertext as Buffer).includes(base32Decode(startMfaEnrollment.secret))).toBe(false);
    const hashes: { code_hash: Buffer }[] = await graph.apps.identity.infra.dataSource.query(`SELECT code_hash FROM identity.mfa_recovery_codes WHERE user_id = $1`, [user.id]);
    expect(hashes).toHaveLength(10);
    for (const code of confirmMfaEnrollment.codes) expect(hashes.some((h) => h.code_hash.toString('latin1').includes(code))).toBe(false);

    expect(codeOf(await user.client.request(StartMfaEnrollmentDocument))).toBe('CONFLICT');
  });

  it('needs a recent sign-in', async () => {
    const user = await signUpUser(anonymous);
    await ageSessions(user.id);
    expect(codeOf(await user.client.request(StartMfaEnrollmentDocument))).toBe('REAUTHENTICATION_REQUIRED');
  });
});

describe('signing in with MFA on', () => {
  it('answers MfaChallenge, completes with a TOTP once, and never accepts a code twice', async () => {
    const user = await signUpUser(anonymous);
    const { secret } = await enrol(user); // spent the code of the current step

    const first = await signIn(user.email);
    expect(first.data?.signIn.__typename).toBe('MfaChallenge');
    const challengeId = (first.data!.signIn as { challengeId: string }).challengeId;

    const replayed = await anonymous.request(CompleteMfaChallengeDocument, { challengeId, totp: codeAt(secret) });
    expect(codeOf(replayed)).toBe('INVALID_MFA_CODE');
    const done = await anonymous.data(CompleteMfaChallengeDocument, { challengeId, totp: codeAt(secret, 1) });
    expect(done.completeMfaChallenge.__typename).toBe('AuthSession');
    const session = anonymous.as((done.completeMfaChallenge as { token: string }).token);
    expect((await session.data(MeDocument)).me?.id).toBe(user.id);

    // The challenge is finished, and the code it used is spent for a one-step sign-in as well.
    expect(codeOf(await anonymous.request(CompleteMfaChallengeDocument, { challengeId, totp: codeAt(secret, 1) }))).toBe('MFA_CHALLENGE_EXPIRED');
    expect(codeOf(await signIn(user.email, { totp: codeAt(secret, 1) }))).toBe('INVALID_MFA_CODE');
  });

  it('signs in in one step with a code in SignInInput, and refuses a wrong one', async () => {
    const user = await signUpUser(anonymous);
    const { secret } = await enrol(user);
    expect(codeOf(await signIn(user.email, { totp: '000000' === codeAt(secret, 1) ? '111111' : '000000' }))).toBe('INVALID_MFA_CODE');
    const ok = await signIn(user.email, { totp: codeAt(secret, 1) });
    expect(ok.data?.signIn.__typename).toBe('AuthSession');
  });

  it('accepts each recovery code once, counts what is left, and audits the use', async () => {
    const user = await signUpUser(anonymous);
    const { codes } = await enrol(user);
    const viaCode = await signIn(user.email, { recoveryCode: codes[0].toLowerCase() });
    expect(viaCode.data?.signIn.__typename).toBe('AuthSession');
    expect(codeOf(await signIn(user.email, { recoveryCode: codes[0] }))).toBe('INVALID_MFA_CODE');

    const challenge = (await signIn(user.email)).data!.signIn as { challengeId: string };
    const done = await anonymous.data(CompleteMfaChallengeDocument, { challengeId: challenge.challengeId, recoveryCode: codes[1] });
    expect(done.completeMfaChallenge.__typename).toBe('AuthSession');
    expect((await user.client.data(MyMfaDocument)).me?.mfa.recoveryCodesRemaining).toBe(8);
    await eventually(async () => expect((await auditTypes(user.id)).filter((t) => t === 'identity.mfa.recovery_code_used')).toHaveLength(2));
  });

  it('refuses unknown challenges and stops a challenge after five wrong codes', async () => {
    expect(codeOf(await anonymous.request(CompleteMfaChallengeDocument, { challengeId: '00000000-0000-4000-8000-000000000000', totp: '123456' }))).toBe('MFA_CHALLENGE_EXPIRED');
    const user = await signUpUser(anonymous);
    const { secret } = await enrol(user);
    const { challengeId } = (await signIn(user.email)).data!.signIn as { challengeId: string };
    const wrong = codeAt(secret, 1) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expect(codeOf(await anonymous.request(CompleteMfaChallengeDocument, { challengeId, totp: wrong }))).toBe('INVALID_MFA_CODE');
    expect(codeOf(await anonymous.request(CompleteMfaChallengeDocument, { challengeId, totp: codeAt(secret, 1) }))).toBe('MFA_CHALLENGE_EXPIRED');
  });
});

describe('recovery codes and removing MFA', () => {
  it('regenerates codes (voiding the old), needs a recent sign-in, and removes MFA only with a valid code', async () => {
    const user = await signUpUser(anonymous);
    const { codes: old } = await enrol(user);

    await ageSessions(user.id);
    expect(codeOf(await user.client.request(RegenerateRecoveryCodesDocument))).toBe('REAUTHENTICATION_REQUIRED');
    expect(codeOf(await user.client.request(DisableMfaDocument, { recoveryCode: old[0] }))).toBe('REAUTHENTICATION_REQUIRED');

    const fresh = anonymous.as(((await signIn(user.email, { recoveryCode: old[0] })).data!.signIn as { token: string }).token);
    const { regenerateRecoveryCodes } = await fresh.data(RegenerateRecoveryCodesDocument);
    expect(regenerateRecoveryCodes.codes).toHaveLength(10);
    expect(regenerateRecoveryCodes.codes.some((c) => old.includes(c))).toBe(false);
    expect(codeOf(await signIn(user.email, { recoveryCode: old[1] }))).toBe('INVALID_MFA_CODE');

    expect(codeOf(await fresh.request(DisableMfaDocument, {}))).toBe('INVALID_MFA_CODE');
    expect(codeOf(await fresh.request(DisableMfaDocument, { recoveryCode: old[2] }))).toBe('INVALID_MFA_CODE');
    expect((await fresh.data(MyMfaDocument)).me?.mfa.enabled).toBe(true);
    expect((await fresh.data(DisableMfaDocument, { recoveryCode: regenerateRecoveryCodes.codes[0] })).disableMfa).toBe(true);
    expect((await fresh.data(MyMfaDocument)).me?.mfa).toEqual({ enabled: false, recoveryCodesRemaining: 0 });
    expect((await signIn(user.email)).data?.signIn.__typename).toBe('AuthSession');
    await eventually(async () => expect(await auditTypes(user.id)).toEqual(expect.arrayContaining(['identity.mfa.recovery_codes_regenerated', 'identity.mfa.disabled'])));
  });
});
