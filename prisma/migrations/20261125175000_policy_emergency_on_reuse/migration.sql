-- AlterTable
ALTER TABLE "rotation_policies" ADD COLUMN     "emergencyOnReuse" BOOLEAN NOT NULL DEFAULT false;
