import "server-only";
import { createHmac } from "node:crypto";
import type { NextAuthOptions } from "next-auth";
import { getServerSecret } from "../secret";
import CredentialsProvider from "next-auth/providers/credentials";
import { authenticateStaff } from "./sign-in";
import type { Role } from "./permissions";

/** Sessions end after 8 hours (a working day); signing out ends them at once. */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

declare module "next-auth" {
  interface User {
    role: Role;
  }
  interface Session {
    user: { id: string; email: string; role: Role };
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    role?: Role;
  }
}

/** next-auth's configuration: staff sign in with email and password; the session is a signed JWT cookie. */
export const authOptions: NextAuthOptions = {
  // NEXTAUTH_SECRET, else derived from the server secret. A getter, so it is
  // read at request time: `next build` imports this module and must not
  // create ./data/secret.
  get secret() {
    return process.env.NEXTAUTH_SECRET ?? createHmac("sha256", getServerSecret()).update("rekey session cookies").digest("hex");
  },
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials) {
        // A thrown error's message reaches the sign-in form (the lock-out); null means "wrong email or password".
        return authenticateStaff({ email: credentials?.email ?? "", password: credentials?.password ?? "" }, new Date());
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = user.role;
      }
      return token;
    },
    session({ session, token }) {
      session.user = { id: token.uid ?? "", email: token.email ?? "", role: token.role ?? "customer" };
      return session;
    },
  },
};
