-- AlterTable
ALTER TABLE "notifications" ADD COLUMN     "claimToken" TEXT;
