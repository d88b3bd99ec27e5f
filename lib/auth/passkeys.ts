import "server-only";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { createRateLimit } from "../http/rate-limit";
import { appUrl } from "../app-url";
import { parseInput } from "../validation";
import { clearSignInAttempts, takeSignInAttempt } from "./attempts";
import { reauthenticate, staffUser } from "./mfa";
import { addPasskeySchema, finishPasskeySchema, passkeySignInSchema, removePasskeySchema } from "./schemas";
import type { SignedInUser } from "./sign-in";

/*
 * Passkeys for staff (WebAuthn Level 2, through SimpleWebAuthn): a
 * discoverable credential with user verification required (the device's PIN
 * or biometrics), so a passkey signs in on its own and is a second factor in
 * itself: something held (the authenticator) and something known or been.
 * Phishing-resistant: the browser binds each answer to rekey's origin and
 * the authenticator to its relying-party id, both from the public URL
 * (REKEY_PUBLIC_URL, else NEXTAUTH_URL). rekey stores public keys only.
 * Every challenge is stored, used once and valid for PASSKEY_CHALLENGE_MINUTES.
 */

export const PASSKEY_CHALLENGE_MINUTES = 5;
export const MAX_PASSKEYS_PER_USER = 10;
/** Sign-in challenges handed to one address per window: enough for people, not for filling a table. */
const challengesPerAddress = createRateLimit({ name: "passkey:challenge", points: 60, durationSeconds: 15 * 60 });

/** Who the browser and authenticator must see: the relying party id is the public URL's host name (no port), the origin its scheme, host and port. */
export function relyingParty(): { rpID: string; origin: string; rpName: string } {
  const url = new URL(appUrl());
  return { rpID: url.hostname, origin: url.origin, rpName: "rekey" };
}

/** What every answer is checked against: its challenge (used up as it is read), this site's origin and relying party, and user verification. */
function expectations(purpose: "register" | "sign-in", userId: string | null, now: Date) {
  const { rpID, origin } = relyingParty();
  return {
    expectedChallenge: (challenge: string) => takeChallenge(challenge, purpose, userId, now),
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: true,
  };
}

async function storeChallenge(challenge: string, purpose: "register" | "sign-in", userId: string | null, now: Date): Promise<void> {
  const prisma = await getPrisma();
  await prisma.webauthnChallenge.create({ data: { challenge, purpose, userId, expiresAt: new Date(now.getTime() + PASSKEY_CHALLENGE_MINUTES * 60_000) } });
}

/**
 * Uses up a challenge the answer carries: deleted whether or not the rest of
 * the answer checks out, on its own statement (committed at once), so an
 * answer is accepted at most once and a failed one cannot be tried again.
 */
async function takeChallenge(challenge: string, purpose: "register" | "sign-in", userId: string | null, now: Date): Promise<boolean> {
  const prisma = await getPrisma();
  const taken = await prisma.webauthnChallenge.deleteMany({ where: { challenge, purpose, userId, expiresAt: { gt: now } } });
  return taken.count === 1;
}

/** What the account page lists of a user's passkeys (never the key itself). */
export async function listPasskeys(userId: string) {
  const prisma = await getPrisma();
  return prisma.passkey.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, createdAt: true, lastUsedAt: true, deviceType: true, backedUp: true },
  });
}

/**
 * Starts adding a passkey, after the user's password (and a current code
 * once multi-factor sign-in is on): the options for the browser's
 * `navigator.credentials.create`, with a stored challenge.
 */
export async function startPasskeyRegistration(userId: string, input: unknown, now: Date): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const data = parseInput(addPasskeySchema, input);
  const user = await staffUser(userId);
  const prisma = await getPrisma();
  const existing = await prisma.passkey.findMany({ where: { userId }, select: { credentialId: true, transports: true } });
  if (existing.length >= MAX_PASSKEYS_PER_USER)
    throw new ConflictError(`You have ${MAX_PASSKEYS_PER_USER} passkeys, the most one account may have: remove one first.`);
  await reauthenticate(user, data, "add a passkey", now, async () => undefined);
  const { rpID, rpName } = relyingParty();
  const options = await generateRegistrationOptions({
    rpName,
    rpID,
    userName: user.email,
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    timeout: PASSKEY_CHALLENGE_MINUTES * 60_000,
  });
  await storeChallenge(options.challenge, "register", userId, now);
  return options;
}

/**
 * Finishes adding a passkey: the authenticator's answer to the challenge
 * startPasskeyRegistration gave this user, checked (origin, relying party,
 * user verification, signature), then stored with the user's name for it.
 * Audited (`auth.passkey_added`).
 */
export async function finishPasskeyRegistration(userId: string, input: unknown, now: Date): Promise<{ id: string; name: string }> {
  const { name, response } = parseInput(finishPasskeySchema, input);
  const user = await staffUser(userId);
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({ response: response as unknown as RegistrationResponseJSON, ...expectations("register", userId, now) });
  } catch (error) {
    throw new ValidationError(`The passkey was not added: ${passkeyProblem(error)}`, "response");
  }
  if (!verified.verified) throw new ValidationError("The passkey was not added: its answer did not check out. Try again.", "response");
  const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
  return inTransaction(async (tx) => {
    const taken = await tx.passkey.findUnique({ where: { credentialId: credential.id }, select: { id: true } });
    if (taken) throw new ConflictError("That passkey is already registered.");
    const row = await tx.passkey.create({
      data: {
        userId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey),
        counter: BigInt(credential.counter),
        transports: credential.transports ?? [],
        name,
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        createdAt: now,
      },
      select: { id: true, name: true },
    });
    await appendAuditEvent(
      tx,
      {
        actor: `user:${userId}`,
        action: "auth.passkey_added",
        organizationId: user.organizationId,
        after: { email: user.email, passkey: name, synced: credentialDeviceType === "multiDevice" },
      },
      now,
    );
    return row;
  });
}

/** Removes one of the user's passkeys, after their password (and a current code once multi-factor sign-in is on). Audited. */
export async function removePasskey(userId: string, input: unknown, now: Date): Promise<{ name: string }> {
  const { passkeyId, ...reauth } = parseInput(removePasskeySchema, input);
  const user = await staffUser(userId);
  const prisma = await getPrisma();
  const passkey = await prisma.passkey.findFirst({ where: { id: passkeyId, userId }, select: { id: true, name: true } });
  if (!passkey) throw new NotFoundError("No such passkey.");
  return reauthenticate(user, reauth, "remove a passkey", now, async (tx) => {
    const gone = await tx.passkey.deleteMany({ where: { id: passkey.id, userId } });
    if (gone.count !== 1) throw new NotFoundError("No such passkey.");
    await appendAuditEvent(
      tx,
      { actor: `user:${userId}`, action: "auth.passkey_removed", organizationId: user.organizationId, after: { email: user.email, passkey: passkey.name } },
      now,
    );
    return { name: passkey.name };
  });
}

/**
 * The options for signing in with a passkey: a challenge for any of this
 * site's discoverable credentials (the authenticator offers the person's).
 * Counted per address: the challenge row is the one thing a visitor makes.
 */
export async function startPasskeySignIn(address: string, now: Date): Promise<PublicKeyCredentialRequestOptionsJSON> {
  await challengesPerAddress.take(address, "passkey sign-in requests from this address", now);
  const options = await generateAuthenticationOptions({ rpID: relyingParty().rpID, userVerification: "required", timeout: PASSKEY_CHALLENGE_MINUTES * 60_000 });
  await storeChallenge(options.challenge, "sign-in", null, now);
  return options;
}

/**
 * Signs a staff member in with a passkey: the authenticator's answer to a
 * challenge from startPasskeySignIn, for a passkey of an active staff
 * member. Counted against the sign-in limits (per account, per address)
 * before it is checked, like a password; the signature counter must move
 * forward where the authenticator keeps one (a counter that goes back means
 * a cloned authenticator: refused). Every success and failure audited.
 * Null for an answer that does not sign in.
 */
export async function authenticatePasskey(input: unknown, now: Date, address = "unknown"): Promise<SignedInUser | null> {
  const { response } = parseInput(passkeySignInSchema, input);
  const prisma = await getPrisma();
  const passkey = await prisma.passkey.findUnique({
    where: { credentialId: response.id },
    select: {
      id: true,
      credentialId: true,
      publicKey: true,
      counter: true,
      transports: true,
      name: true,
      user: { select: { id: true, email: true, role: true, organizationId: true, disabledAt: true } },
    },
  });
  const user = passkey?.user;
  const audit = (outcome: "failure" | "denied", reason: string) =>
    inTransaction((tx) =>
      appendAuditEvent(
        tx,
        {
          actor: user ? `user:${user.id}` : "anonymous",
          action: "auth.sign_in_failed",
          outcome,
          reason,
          after: { email: user?.email ?? null, address, method: "passkey" },
        },
        now,
      ),
    );
  // An unknown credential has no account to count against: the address still counts it.
  await takeSignInAttempt(user?.email ?? `passkey:${response.id.slice(0, 100)}`, address, now, (reason) => audit("denied", reason));
  if (!passkey || !user) {
    await audit("failure", "unknown passkey");
    return null;
  }
  if (user.disabledAt || user.role === "customer") {
    await audit("failure", user.disabledAt ? "account disabled" : "passkey of a customer");
    return null;
  }
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: Number(passkey.counter),
        transports: passkey.transports as AuthenticatorTransportFuture[],
      },
      ...expectations("sign-in", null, now),
    });
  } catch (error) {
    await audit("failure", `passkey refused: ${passkeyProblem(error)}`);
    return null;
  }
  if (!verified.verified) {
    await audit("failure", "passkey signature did not verify");
    return null;
  }
  const newCounter = BigInt(verified.authenticationInfo.newCounter);
  const signedIn = await inTransaction(async (tx) => {
    // Conditional on the counter read above: two answers at once cannot both move it (and a counter of 0 stays 0).
    const moved = await tx.passkey.updateMany({ where: { id: passkey.id, counter: passkey.counter }, data: { counter: newCounter, lastUsedAt: now } });
    if (moved.count !== 1) return false;
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: now } });
    await appendAuditEvent(
      tx,
      { actor: `user:${user.id}`, action: "auth.signed_in", reason: "passkey", after: { email: user.email, address, passkey: passkey.name } },
      now,
    );
    return true;
  });
  if (!signedIn) {
    await audit("failure", "passkey used twice at once");
    return null;
  }
  await clearSignInAttempts(user.email);
  return { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId, method: "passkey" };
}

/** A refusal's reason in words, from SimpleWebAuthn's error (never the answer itself). */
function passkeyProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  if (/challenge/i.test(message)) return "the request expired or was already used. Try again.";
  if (/origin|rp ?id/i.test(message)) return "it was made for another site.";
  if (/user verification|user was not verified/i.test(message)) return "the device did not verify you (PIN or biometrics). Try again.";
  if (/counter/i.test(message)) return "its signature counter went back (a copied authenticator?).";
  return "its answer did not check out. Try again.";
}
