-- AlterTable
ALTER TABLE "rotation_policies" ADD COLUMN     "customersManageKeys" BOOLEAN NOT NULL DEFAULT false;
