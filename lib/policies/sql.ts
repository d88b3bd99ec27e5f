import { DEFAULT_POLICY } from "./defaults";

const d = DEFAULT_POLICY;

/**
 * A derived table of every organization's effective policy (its own, else the
 * default policy, else DOMAIN.md's defaults), for set-based statements that
 * treat many keys at once. Join it `ON ep."organizationId" = k."organizationId"`.
 */
export const EFFECTIVE_POLICY_SQL = `(
  SELECT o.id AS "organizationId",
         COALESCE(p."maxAgeDays", dp."maxAgeDays", ${d.maxAgeDays}) AS "maxAgeDays",
         COALESCE(p."gracePeriodHours", dp."gracePeriodHours", ${d.gracePeriodHours}) AS "gracePeriodHours",
         COALESCE(p."noticeDays", dp."noticeDays", ${d.noticeDays}) AS "noticeDays",
         COALESCE(p."maxPostponements", dp."maxPostponements", ${d.maxPostponements}) AS "maxPostponements",
         COALESCE(p."postponeDays", dp."postponeDays", ${d.postponeDays}) AS "postponeDays",
         COALESCE(p."waitForSuccessorUse", dp."waitForSuccessorUse", ${d.waitForSuccessorUse}) AS "waitForSuccessorUse",
         COALESCE(p."customersManageKeys", dp."customersManageKeys", ${d.customersManageKeys}) AS "customersManageKeys",
         COALESCE(p."emergencyOnReuse", dp."emergencyOnReuse", ${d.emergencyOnReuse}) AS "emergencyOnReuse",
         COALESCE(p.name, dp.name, '${d.name}') AS "policyName",
         CASE WHEN p.id IS NOT NULL THEN p."exceptionReason" ELSE dp."exceptionReason" END AS "exceptionReason"
  FROM organizations o
  LEFT JOIN rotation_policies p ON p.id = o."policyId"
  LEFT JOIN (SELECT * FROM rotation_policies WHERE "isDefault" ORDER BY "createdAt" LIMIT 1) dp ON true
)`;
