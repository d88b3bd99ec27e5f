import "server-only";
import { createHmac } from "node:crypto";
import type { NextAuthOptions } from "next-auth";
import { getServerSecret } from "../secret";
import CredentialsProvider from "next-auth/providers/credentials";
import EmailProvider from "next-auth/providers/email";
import { rekeyAdapter, sendSignInLink, SIGN_IN_LINK_MINUTES } from "./email-sign-in";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { authenticateStaff } from "./sign-in";
import type { Role } from "./permissions";

/** Sessions end after 8 hours (a working day); signing out ends them at once. */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

declare module "next-auth" {
  interface User {
    role: Role;
  }
  interface Session {
    /** authTime: when the user last proved who they are (seconds since the epoch), for actions that need a recent sign-in. */
    user: { id: string; email: string; role: Role; authTime: number };
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    role?: Role;
    authTime?: number;
  }
}

/**
 * next-auth's configuration: staff sign in with email and password,
 * customers with a link emailed to them; the session is a signed JWT cookie.
 */
export const authOptions: NextAuthOptions = {
  // NEXTAUTH_SECRET, else derived from the server secret. A getter, so it is
  // read at request time: `next build` imports this module and must not
  // create ./data/secret.
  get secret() {
    return process.env.NEXTAUTH_SECRET ?? createHmac("sha256", getServerSecret()).update("rekey session cookies").digest("hex");
  },
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin", verifyRequest: "/signin?sent=1", error: "/signin" },
  adapter: rekeyAdapter,
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials) {
        // A thrown error's message reaches the sign-in form (the lock-out); null means "wrong email or password".
        return authenticateStaff({ email: credentials?.email ?? "", password: credentials?.password ?? "" }, new Date());
      },
    }),
    EmailProvider({
      // Delivery is rekey's own mailer (SMTP_URL or ./data/mail); this transport is never used.
      server: { jsonTransport: true },
      from: process.env.MAIL_FROM || "rekey <rekey@localhost>",
      maxAge: SIGN_IN_LINK_MINUTES * 60,
      sendVerificationRequest: ({ identifier, url }) => sendSignInLink(identifier, url, new Date()),
    }),
  ],
  callbacks: {
    /** An emailed link signs in only an active customer (staff use their password); a used link is audited. */
    async signIn({ user, account, email }) {
      if (account?.provider !== "email") return true;
      if (email?.verificationRequest) return true; // sendSignInLink decides whether anything is sent
      const found = await (await getPrisma()).user.findUnique({ where: { id: user.id }, select: { id: true, role: true, disabledAt: true, email: true } });
      const ok = !!found && !found.disabledAt && found.role === "customer";
      await inTransaction((tx) =>
        appendAuditEvent(tx, { actor: found ? `user:${found.id}` : "anonymous", action: ok ? "auth.signed_in" : "auth.sign_in_failed", outcome: ok ? "success" : "denied", reason: ok ? "email link" : "email link for a non-customer", after: { email: user.email ?? null } }, new Date()),
      );
      return ok;
    },
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = user.role;
        token.authTime = Math.floor(Date.now() / 1000);
      }
      return token;
    },
    session({ session, token }) {
      session.user = { id: token.uid ?? "", email: token.email ?? "", role: token.role ?? "customer", authTime: token.authTime ?? 0 };
      return session;
    },
  },
};
