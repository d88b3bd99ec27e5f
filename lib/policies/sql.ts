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
         COALESCE(p."endGraceOnConfirmedUse", dp."endGraceOnConfirmedUse", ${d.endGraceOnConfirmedUse}) AS "endGraceOnConfirmedUse",
         COALESCE(p.name, dp.name, '${d.name}') AS "policyName",
         CASE WHEN p.id IS NOT NULL THEN p."exceptionReason" ELSE dp."exceptionReason" END AS "exceptionReason"
  FROM organizations o
  LEFT JOIN rotation_policies p ON p.id = o."policyId"
  LEFT JOIN (SELECT * FROM rotation_policies WHERE "isDefault" ORDER BY "createdAt" LIMIT 1) dp ON true
)`;

const SETTING_COLUMNS = [
  "name",
  "isDefault",
  "maxAgeDays",
  "gracePeriodHours",
  "noticeDays",
  "maxPostponements",
  "postponeDays",
  "waitForSuccessorUse",
  "customersManageKeys",
  "emergencyOnReuse",
  "exceptionReason",
];

/**
 * EFFECTIVE_POLICY_SQL as it was at an instant (before it: `at` is an SQL
 * expression such as `$2::timestamptz`, the end of a report's period), from the
 * policy history (lib/policies/history.ts), plus the policy's id and version
 * ("policyVersion": null for a policy without history, read as it is now, and
 * for DOMAIN.md's built-in defaults).
 *
 * - A policy's state is its latest version valid from before `at`; a policy
 *   with versions but none before `at` did not exist then; one with none at all
 *   (inserted without history) is read as it is now.
 * - An organization's policy is its latest assignment before `at`; one without
 *   any assignment uses its policy now. A policy that did not exist then, or
 *   none, means the default of then: the oldest policy that was the default at
 *   `at`, else DOMAIN.md's defaults.
 * Ties at one instant go to the later write (version, assignment id).
 */
export function effectivePolicyAtSql(at: string): string {
  const state = SETTING_COLUMNS.map((c) => `CASE WHEN v.id IS NULL THEN p."${c}" ELSE v."${c}" END AS "${c}"`).join(", ");
  const col = (c: string, fallback: string | number | boolean) => `COALESCE(p."${c}", dp."${c}", ${fallback}) AS "${c}"`;
  return `(
  WITH ps AS (
    SELECT p.id, p."createdAt", v.version, ${state}
    FROM rotation_policies p
    LEFT JOIN LATERAL (SELECT * FROM policy_versions v WHERE v."policyId" = p.id AND v."validFrom" < ${at}
                       ORDER BY v."validFrom" DESC, v.version DESC LIMIT 1) v ON true
    WHERE v.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM policy_versions x WHERE x."policyId" = p.id)
  ), dp AS (SELECT * FROM ps WHERE "isDefault" ORDER BY "createdAt", id LIMIT 1)
  SELECT o.id AS "organizationId",
         COALESCE(p.id, dp.id) AS "policyId",
         CASE WHEN p.id IS NOT NULL THEN p.version ELSE dp.version END AS "policyVersion",
         ${col("maxAgeDays", d.maxAgeDays)}, ${col("gracePeriodHours", d.gracePeriodHours)}, ${col("noticeDays", d.noticeDays)},
         ${col("maxPostponements", d.maxPostponements)}, ${col("postponeDays", d.postponeDays)}, ${col("waitForSuccessorUse", d.waitForSuccessorUse)},
         ${col("customersManageKeys", d.customersManageKeys)}, ${col("emergencyOnReuse", d.emergencyOnReuse)},
         COALESCE(p.name, dp.name, '${d.name}') AS "policyName",
         CASE WHEN p.id IS NOT NULL THEN p."exceptionReason" ELSE dp."exceptionReason" END AS "exceptionReason"
  FROM organizations o
  LEFT JOIN LATERAL (SELECT a."policyId" FROM policy_assignments a WHERE a."organizationId" = o.id AND a."validFrom" < ${at}
                     ORDER BY a."validFrom" DESC, a.id DESC LIMIT 1) a ON true
  LEFT JOIN ps p ON p.id = CASE WHEN EXISTS (SELECT 1 FROM policy_assignments x WHERE x."organizationId" = o.id) THEN a."policyId" ELSE o."policyId" END
  LEFT JOIN dp ON true
)`;
}
