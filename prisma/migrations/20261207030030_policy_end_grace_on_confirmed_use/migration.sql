-- AlterTable
ALTER TABLE "policy_versions" ADD COLUMN     "endGraceOnConfirmedUse" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "rotation_policies" ADD COLUMN     "endGraceOnConfirmedUse" BOOLEAN NOT NULL DEFAULT false;
