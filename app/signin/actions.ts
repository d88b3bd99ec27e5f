"use server";

import { z } from "zod";
import { headers } from "next/headers";
import { publicAction } from "@/lib/http/server-action";
import { clientAddress } from "@/lib/http/rate-limit";
import { startPasskeySignIn } from "@/lib/auth/passkeys";

/** The sign-in page asks for a passkey challenge (anyone may; counted per address). */
export const passkeySignInOptionsAction = publicAction(z.object({}), async (_input, now) => {
  const data = await startPasskeySignIn(clientAddress({ headers: await headers() }), now);
  return { message: "Choose your passkey.", data };
});
