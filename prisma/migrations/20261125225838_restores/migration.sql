-- CreateTable
CREATE TABLE "restores" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3),
    "backupTakenAt" TIMESTAMPTZ(3) NOT NULL,
    "backupFile" TEXT NOT NULL,
    "backupSha256" TEXT NOT NULL,
    "journalEntries" INTEGER NOT NULL DEFAULT 0,
    "reapplied" INTEGER NOT NULL DEFAULT 0,
    "missingKeys" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "restores_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "restores_startedAt_idx" ON "restores"("startedAt");

-- CreateIndex
CREATE INDEX "api_keys_status_revokedAt_idx" ON "api_keys"("status", "revokedAt");
