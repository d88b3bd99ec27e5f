import "server-only";
import type { NextAuthOptions } from "next-auth";
import { decode as decodeJwt } from "next-auth/jwt";
import { getSessionSecrets } from "../secret";
import CredentialsProvider from "next-auth/providers/credentials";
import EmailProvider from "next-auth/providers/email";
import { rekeyAdapter, sendSignInLink, SIGN_IN_LINK_MINUTES } from "./email-sign-in";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { authenticateStaff } from "./sign-in";
import { authenticatePasskey } from "./passkeys";
import { checkSession, signOutSession, startSession, SESSION_MAX_AGE_SECONDS, type SignInMethod } from "./sessions";
import { clientAddress } from "../http/rate-limit";
import { log } from "../log";
import { safeReturnPath } from "./redirect";
import type { Role } from "./permissions";
import { env } from "../env";

/** Thrown by the jwt callback for a cookie whose session has ended: next-auth then treats the request as signed out and clears the cookie. */
class SessionEndedError extends Error {
  constructor() {
    super("session ended");
  }
}

/** The address a credentials sign-in comes from (next-auth hands its authorize() plain header records). */
function addressOf(req: { headers?: Record<string, unknown> } | undefined): string {
  return clientAddress({ headers: new Headers(Object.entries(req?.headers ?? {}).filter((e): e is [string, string] => typeof e[1] === "string")) });
}

/** The browser that is signing in, for the user's list of sessions (nothing when called outside a request). */
async function requestInfo(): Promise<{ userAgent: string | null; ipAddress: string | null }> {
  try {
    const { headers } = await import("next/headers");
    const h = await headers();
    return { userAgent: h.get("user-agent"), ipAddress: clientAddress({ headers: h }) };
  } catch {
    return { userAgent: null, ipAddress: null };
  }
}

declare module "next-auth" {
  interface User {
    role: Role;
    /** Set by the password sign-in (authenticateStaff): how the user proved who they are. */
    method?: SignInMethod;
  }
  interface Session {
    /** Read from the database with the session at every request (lib/auth/sessions.ts), not from the cookie. signedInAt: ISO time of the sign-in. */
    user: {
      id: string;
      email: string;
      role: Role;
      organizationId: string | null;
      signedInAt: string;
      sessionId: string;
      mustChangePassword: boolean;
      mustEnrollMfa: boolean;
    };
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    /** The session's row: all the cookie is trusted for. */
    sid?: string;
    /** Filled from the session's row at each request, never trusted from the cookie. */
    live?: { uid: string; email: string; role: Role; organizationId: string | null; signedInAt: string; mustChangePassword: boolean; mustEnrollMfa: boolean };
  }
}

/**
 * next-auth's configuration: staff sign in with email and password,
 * customers with a link emailed to them. The cookie is a signed JWT that
 * names a session row; the row decides whether it still works.
 */
export const authOptions: NextAuthOptions = {
  // The session secret (lib/secret.ts: NEXTAUTH_SECRET, or the embedded
  // database's own; never a hashing secret). A getter, so it is read at
  // request time: `next build` imports this module and must not create
  // files in ./data.
  get secret() {
    return getSessionSecrets()[0];
  },
  // A cookie signed with a previous session secret (NEXTAUTH_SECRET_PREVIOUS)
  // still reads during a rotation's overlap, and next-auth writes it back
  // under the current one at that request. Any other cookie reads as signed out.
  jwt: {
    async decode(params) {
      for (const secret of getSessionSecrets()) {
        try {
          const token = await decodeJwt({ ...params, secret });
          if (token) return token;
        } catch {
          // Not this secret's: try the next.
        }
      }
      return null;
    },
  },
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin", verifyRequest: "/signin?sent=1", error: "/signin" },
  adapter: rekeyAdapter,
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" }, code: { label: "Code", type: "text" } },
      async authorize(credentials, req) {
        // A thrown error's message reaches the sign-in form (the lock-out, a code required or wrong); null means "wrong email or password".
        return authenticateStaff(
          { email: credentials?.email ?? "", password: credentials?.password ?? "", code: credentials?.code || undefined },
          new Date(),
          addressOf(req),
        );
      },
    }),
    CredentialsProvider({
      id: "passkey",
      name: "Passkey",
      credentials: { response: { label: "Passkey answer", type: "text" } },
      async authorize(credentials, req) {
        return authenticatePasskey({ response: credentials?.response ?? "" }, new Date(), addressOf(req));
      },
    }),
    EmailProvider({
      // Delivery is rekey's own mailer (SMTP_URL or ./data/mail); this transport is never used.
      server: { jsonTransport: true },
      from: env("MAIL_FROM"),
      maxAge: SIGN_IN_LINK_MINUTES * 60,
      sendVerificationRequest: ({ identifier, url }) => sendSignInLink(identifier, url, new Date()),
    }),
  ],
  callbacks: {
    /** Where next-auth sends a browser after signing in or out: a path on this site only (lib/auth/redirect.ts). */
    redirect({ url, baseUrl }) {
      const path = url.startsWith(`${baseUrl}/`) ? url.slice(baseUrl.length) : url;
      return `${baseUrl}${safeReturnPath(path, "/")}`;
    },
    /** An emailed link signs in only an active customer (staff use their password); a used link is audited. */
    async signIn({ user, account, email }) {
      if (account?.provider !== "email") return true;
      if (email?.verificationRequest) return true; // sendSignInLink decides whether anything is sent
      const found = await (await getPrisma()).user.findUnique({ where: { id: user.id }, select: { id: true, role: true, disabledAt: true, email: true } });
      const ok = !!found && !found.disabledAt && found.role === "customer";
      await inTransaction((tx) =>
        appendAuditEvent(
          tx,
          {
            actor: found ? `user:${found.id}` : "anonymous",
            action: ok ? "auth.signed_in" : "auth.sign_in_failed",
            outcome: ok ? "success" : "denied",
            reason: ok ? "email link" : "email link for a non-customer",
            after: { email: user.email ?? null },
          },
          new Date(),
        ),
      );
      return ok;
    },
    async jwt({ token, user, account }) {
      const now = new Date();
      if (user) {
        const method: SignInMethod = account?.provider === "email" ? "email link" : (user.method ?? "password");
        // Only the session's id goes into the cookie: who it belongs to is read from the row.
        const sid = await startSession(user.id, method, await requestInfo(), now);
        return {
          sid,
          live: {
            uid: user.id,
            email: user.email ?? "",
            role: user.role,
            organizationId: null,
            signedInAt: now.toISOString(),
            mustChangePassword: false,
            mustEnrollMfa: false,
          },
        };
      }
      const live = token.sid ? await checkSession(token.sid, now) : null;
      if (!live) throw new SessionEndedError();
      return {
        sid: live.sessionId,
        live: {
          uid: live.userId,
          email: live.email,
          role: live.role,
          organizationId: live.organizationId,
          signedInAt: live.signedInAt.toISOString(),
          mustChangePassword: live.mustChangePassword,
          mustEnrollMfa: live.mustEnrollMfa,
        },
      };
    },
    session({ session, token }) {
      const live = token.live!;
      session.user = {
        id: live.uid,
        email: live.email,
        role: live.role,
        organizationId: live.organizationId,
        signedInAt: live.signedInAt,
        sessionId: token.sid!,
        mustChangePassword: live.mustChangePassword,
        mustEnrollMfa: live.mustEnrollMfa,
      };
      return session;
    },
  },
  events: {
    async signOut({ token }) {
      await signOutSession(token?.sid, new Date());
    },
  },
  logger: {
    // An ended session is an answer ("signed out"), not an error to log.
    error(code, metadata) {
      const error = metadata instanceof Error ? metadata : (metadata as { error?: unknown })?.error;
      if (code === "JWT_SESSION_ERROR" && error instanceof SessionEndedError) return;
      log.error({ code, err: error instanceof Error ? error.message : metadata }, "next-auth error");
    },
    warn(code) {
      log.warn({ code }, "next-auth warning");
    },
    debug() {},
  },
};
