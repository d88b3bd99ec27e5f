-- CreateTable
CREATE TABLE "policy_versions" (
    "id" TEXT NOT NULL,
    "policyId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "validFrom" TIMESTAMPTZ(3) NOT NULL,
    "name" TEXT NOT NULL,
    "isDefault" BOOLEAN NOT NULL,
    "maxAgeDays" INTEGER NOT NULL,
    "gracePeriodHours" INTEGER NOT NULL,
    "emergencyGraceHours" INTEGER NOT NULL,
    "noticeDays" INTEGER NOT NULL,
    "maxPostponements" INTEGER NOT NULL,
    "postponeDays" INTEGER NOT NULL,
    "waitForSuccessorUse" BOOLEAN NOT NULL,
    "customersManageKeys" BOOLEAN NOT NULL,
    "emergencyOnReuse" BOOLEAN NOT NULL,
    "exceptionReason" TEXT,

    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_assignments" (
    "id" BIGSERIAL NOT NULL,
    "organizationId" TEXT NOT NULL,
    "policyId" TEXT,
    "validFrom" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "policy_assignments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "policy_versions_policyId_validFrom_idx" ON "policy_versions"("policyId", "validFrom");

-- CreateIndex
CREATE UNIQUE INDEX "policy_versions_policyId_version_key" ON "policy_versions"("policyId", "version");

-- CreateIndex
CREATE INDEX "policy_assignments_organizationId_validFrom_idx" ON "policy_assignments"("organizationId", "validFrom");

-- CreateIndex
CREATE INDEX "policy_assignments_policyId_idx" ON "policy_assignments"("policyId");

-- AddForeignKey
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "rotation_policies"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_assignments" ADD CONSTRAINT "policy_assignments_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_assignments" ADD CONSTRAINT "policy_assignments_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "rotation_policies"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Backfill: one version per existing policy and one assignment per existing organization, as they are now, valid from
-- their creation. The settings a policy had before this migration are not reconstructed (they live in the
-- policy.updated audit events): a report over a period before it judges by the settings the policy had then.
INSERT INTO "policy_versions" ("id", "policyId", "version", "validFrom", "name", "isDefault", "maxAgeDays", "gracePeriodHours",
  "emergencyGraceHours", "noticeDays", "maxPostponements", "postponeDays", "waitForSuccessorUse", "customersManageKeys",
  "emergencyOnReuse", "exceptionReason")
SELECT gen_random_uuid()::text, p."id", 1, p."createdAt", p."name", p."isDefault", p."maxAgeDays", p."gracePeriodHours",
  p."emergencyGraceHours", p."noticeDays", p."maxPostponements", p."postponeDays", p."waitForSuccessorUse", p."customersManageKeys",
  p."emergencyOnReuse", p."exceptionReason"
FROM "rotation_policies" p;

INSERT INTO "policy_assignments" ("organizationId", "policyId", "validFrom")
SELECT o."id", o."policyId", o."createdAt" FROM "organizations" o ORDER BY o."createdAt", o."id";
