-- AlterTable
ALTER TABLE "rotation_policies" ADD COLUMN     "exceptionReason" TEXT;
