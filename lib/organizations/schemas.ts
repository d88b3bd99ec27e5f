import { z } from "zod";

export const createOrganizationSchema = z.object({
  name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
  contactEmails: z.array(z.email("must be an email address")).max(50).default([]),
  timeZone: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "must be an IANA time zone such as Europe/Berlin")
    .default("UTC"),
  policyId: z.uuid("must be a policy id").optional(),
});
export type CreateOrganizationInput = z.input<typeof createOrganizationSchema>;
