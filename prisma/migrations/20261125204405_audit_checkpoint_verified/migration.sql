-- AlterTable
ALTER TABLE "audit_checkpoints" ADD COLUMN     "verifiedAt" TIMESTAMPTZ(3);
