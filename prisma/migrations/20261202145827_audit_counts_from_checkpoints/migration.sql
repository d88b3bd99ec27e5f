-- AlterTable
ALTER TABLE "audit_checkpoints" ADD COLUMN     "eventsThrough" INTEGER,
ADD COLUMN     "verifiedInFull" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "audit_events_action_at_idx" ON "audit_events"("action", "at");

-- Until now only the nightly full check marked a checkpoint verified.
UPDATE "audit_checkpoints" SET "verifiedInFull" = true WHERE "verifiedAt" IS NOT NULL;
