import { z } from "zod";
import { externalIdSchema, metadataSchema } from "../validation";

const timeZone = z
  .string()
  .max(100, "must be an IANA time zone such as Europe/Berlin")
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA time zone such as Europe/Berlin");

export const createOrganizationSchema = z.object({
  name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
  contactEmails: z.array(z.email("must be an email address").max(320)).max(50).default([]),
  timeZone: timeZone.default("UTC"),
  policyId: z.uuid("must be a policy id").optional(),
  externalId: externalIdSchema.optional(),
  metadata: metadataSchema.default({}),
});
export type CreateOrganizationInput = z.input<typeof createOrganizationSchema>;

/**
 * A change to an organization (PATCH): any of these, at least one. `null`
 * clears the policy (back to the default) or the external id; contacts are
 * replaced as a whole and at least one must remain.
 */
export const updateOrganizationSchema = z
  .object({
    name: createOrganizationSchema.shape.name.optional(),
    contactEmails: z
      .array(z.email("must be an email address").max(320))
      .min(1, "must keep at least one contact, or nobody is told when a key rotates")
      .max(50)
      .optional(),
    timeZone: timeZone.optional(),
    policyId: z.uuid("must be a policy id").nullable().optional(),
    externalId: externalIdSchema.nullable().optional(),
    metadata: metadataSchema.optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "says nothing to change: send name, contactEmails, timeZone, policyId, externalId or metadata",
    path: ["name"],
  });
export type UpdateOrganizationInput = z.input<typeof updateOrganizationSchema>;

/** One change to who gets an organization's rotation emails, and in which time zone they read the dates. */
export const contactChangeSchema = z
  .object({
    add: z
      .email("must be an email address such as ops@example.com")
      .max(320)
      .transform((e) => e.toLowerCase())
      .optional(),
    remove: z
      .string()
      .max(320)
      .transform((e) => e.toLowerCase())
      .optional(),
    timeZone: timeZone.optional(),
  })
  .refine((v) => v.add !== undefined || v.remove !== undefined || v.timeZone !== undefined, {
    message: "says nothing to change: add, remove or timeZone",
    path: ["add"],
  });
export const updateContactsSchema = z.object({ organizationId: z.string().min(1, "is required") }).and(contactChangeSchema);
export type UpdateContactsInput = z.input<typeof updateContactsSchema>;

export const MAX_CONTACTS = 50;
