import { z } from "zod";

export const signInSchema = z.object({
  email: z.email("must be an email address").transform((e) => e.toLowerCase()),
  password: z.string().min(1, "is required").max(1000),
  /** The second factor, for a user with multi-factor sign-in: a 6-digit code or a recovery code. */
  code: z
    .string()
    .trim()
    .max(50, "must be at most 50 characters")
    .optional()
    .transform((v) => v || undefined),
});

export const PASSWORD_MIN = 12;
export const passwordSchema = z.string().min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`).max(1000, "must be at most 1000 characters");
/** A user changes their own password: the current one proves it is them (a session alone is not enough). */
export const changePasswordSchema = z.object({ currentPassword: z.string().min(1, "is required").max(1000), newPassword: passwordSchema });
export const sessionIdSchema = z.object({ sessionId: z.string().min(1, "is required").max(100) });
export const userIdSchema = z.object({ userId: z.string().min(1, "is required").max(100) });

export const ROLES = ["admin", "operator", "auditor", "customer"] as const;

export const inviteUserSchema = z
  .object({
    email: z.email("must be an email address").transform((e) => e.toLowerCase()),
    name: z
      .string()
      .trim()
      .max(200)
      .optional()
      .transform((v) => v || undefined),
    role: z.enum(ROLES, "must be admin, operator, auditor or customer"),
    organizationId: z
      .string()
      .nullish()
      .transform((v) => v || null),
  })
  .superRefine((u, ctx) => {
    if (u.role === "customer" && !u.organizationId) ctx.addIssue({ code: "custom", path: ["organizationId"], message: "is required for a customer" });
    if (u.role !== "customer" && u.organizationId) ctx.addIssue({ code: "custom", path: ["organizationId"], message: "is only for customers" });
  });

export const changeRoleSchema = z.object({ userId: z.string().min(1, "is required"), role: z.enum(ROLES, "must be admin, operator, auditor or customer") });
export const setDisabledSchema = z.object({ userId: z.string().min(1, "is required"), disabled: z.boolean() });
export const tokenNameSchema = z.object({ name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters") });
export const revokeTokenSchema = z.object({ tokenId: z.string().min(1, "is required") });

/** A second factor as typed: a 6-digit code from the app or a recovery code (spaces and dashes allowed). */
const secondFactorSchema = z.string().trim().min(1, "is required").max(50, "must be at most 50 characters");
export const startMfaSchema = z.object({ currentPassword: z.string().min(1, "is required").max(1000) });
export const confirmMfaSchema = z.object({
  code: z
    .string()
    .transform((v) => v.replace(/\s/g, ""))
    .pipe(z.string().regex(/^\d{6}$/, "must be the 6 digits your app shows")),
});
/** A change to one's multi-factor sign-in: the password and a current code. */
export const mfaReauthSchema = z.object({ currentPassword: z.string().min(1, "is required").max(1000), code: secondFactorSchema });
export const requireStaffMfaSchema = z.object({ required: z.boolean() });

/** A re-authentication for a change to one's passkeys: the password, and a current code only once multi-factor sign-in is on. */
const passkeyReauthSchema = z.object({
  currentPassword: z.string().min(1, "is required").max(1000),
  code: z
    .string()
    .trim()
    .max(50, "must be at most 50 characters")
    .optional()
    .transform((v) => v || undefined),
});
export const addPasskeySchema = passkeyReauthSchema;
export const removePasskeySchema = passkeyReauthSchema.extend({ passkeyId: z.string().min(1, "is required").max(100) });
/** An authenticator's answer as the browser's WebAuthn JSON serialisation gives it (checked in full by SimpleWebAuthn). */
const webauthnResponseSchema = z.looseObject({
  id: z
    .string()
    .min(1, "is required")
    .max(1400)
    .regex(/^[A-Za-z0-9_-]+$/, "must be base64url"),
  rawId: z.string().max(1400),
  type: z.literal("public-key", "must be public-key"),
  response: z.record(z.string(), z.unknown()),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});
export const finishPasskeySchema = z.object({
  name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
  response: webauthnResponseSchema,
});
/** The passkey sign-in sends the answer as text (next-auth's credentials are strings). */
export const passkeySignInSchema = z.object({
  response: z
    .string()
    .max(32_000, "is too long")
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be the authenticator's answer as JSON" });
        return z.NEVER;
      }
    })
    .pipe(webauthnResponseSchema),
});
