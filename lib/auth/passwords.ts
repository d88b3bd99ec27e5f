import "server-only";
import { hash, verify } from "@node-rs/argon2";
import { ValidationError } from "../errors";
import { PASSWORD_MIN } from "./schemas";

// Argon2id (the library's default) with OWASP's minimum: 19 MiB, 2 passes.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password).catch(() => false);
}

let dummy: Promise<string> | undefined;

/** Spends the time of a real check, so an unknown email answers as slowly as a wrong password. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword("rekey-dummy-password");
  await verifyPassword(await dummy, password);
}

/** zxcvbn's score (0–4) a chosen password must reach: 3 = "safely unguessable: moderate protection from offline attack". */
const MIN_SCORE = 3;
let zxcvbn: Promise<{ check(password: string, userInputs?: string[]): { score: number; feedback: { warning: string | null } } }> | undefined;

/**
 * Refuses a password a person chose if it is short, or easy to guess: a
 * common password, a keyboard walk, a date, or built from the user's own
 * email (zxcvbn-ts, with its list of common passwords).
 */
export async function checkNewPassword(password: string, userInputs: string[]): Promise<void> {
  if (password.length < PASSWORD_MIN) throw new ValidationError(`newPassword: must be at least ${PASSWORD_MIN} characters`, "newPassword");
  if (password.length > 1000) throw new ValidationError("newPassword: must be at most 1000 characters", "newPassword");
  zxcvbn ??= (async () => {
    const [{ ZxcvbnFactory }, common] = await Promise.all([import("@zxcvbn-ts/core"), import("@zxcvbn-ts/language-common")]);
    return new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  })();
  const inputs = userInputs.flatMap((u) => [u, ...u.split(/[@._+-]/)]).filter((u) => u.length >= 3);
  const result = (await zxcvbn).check(password, [...inputs, "rekey"]);
  if (result.score < MIN_SCORE) {
    const why = result.feedback.warning ? ` (${WARNINGS[result.feedback.warning] ?? "a pattern that is easy to guess"})` : "";
    throw new ValidationError(`newPassword: is too easy to guess${why}; try a few unrelated words`, "newPassword");
  }
}

/** zxcvbn-ts's warning codes, in words. */
const WARNINGS: Record<string, string> = {
  commonPasswords: "it is a common password",
  similarToCommon: "it is close to a common password",
  topTen: "it is one of the most used passwords",
  topHundred: "it is a very common password",
  straightRow: "it is a row of keys",
  keyPattern: "it is a keyboard pattern",
  simpleRepeat: "it repeats characters",
  extendedRepeat: "it repeats a pattern",
  sequences: "it is a sequence",
  recentYears: "it uses a recent year",
  dates: "it is a date",
  wordByItself: "it is a single word",
  namesByThemselves: "it is a name",
  userInputs: "it contains your email or name",
  pwned: "it has appeared in a data breach",
};
