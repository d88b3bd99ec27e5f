-- AlterTable
ALTER TABLE "policy_versions" ADD COLUMN     "leakGraceHours" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "rotation_policies" ADD COLUMN     "leakGraceHours" INTEGER NOT NULL DEFAULT 0;
