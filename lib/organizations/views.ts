/** An organization as the management API shows it. */
export const organizationViewSelect = {
  id: true,
  name: true,
  contactEmails: true,
  timeZone: true,
  policyId: true,
  externalId: true,
  metadata: true,
  createdAt: true,
} as const;
