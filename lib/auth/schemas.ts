import { z } from "zod";

export const signInSchema = z.object({
  email: z.email("must be an email address").transform((e) => e.toLowerCase()),
  password: z.string().min(1, "is required").max(1000),
});

export const PASSWORD_MIN = 12;
export const passwordSchema = z.string().min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`).max(1000);
