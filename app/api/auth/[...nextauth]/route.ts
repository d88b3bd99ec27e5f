import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";
import { bodyLimit, withBodyLimit } from "@/lib/http/api-handler";

const handler = NextAuth(authOptions);

/**
 * next-auth's forms (sign-in, sign-out, the CSRF token) are a few hundred
 * bytes; 8 KB leaves room and stops a large body from being buffered by an
 * endpoint anyone can reach.
 */
const SIGN_IN_BODY = bodyLimit(8 * 1024);

export const GET = handler;
export const POST = withBodyLimit(handler, SIGN_IN_BODY);
