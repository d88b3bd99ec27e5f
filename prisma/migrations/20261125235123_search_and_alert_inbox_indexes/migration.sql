-- CreateIndex
CREATE INDEX "alerts_status_kind_createdAt_idx" ON "alerts"("status", "kind", "createdAt");

-- CreateIndex
CREATE INDEX "api_keys_prefix_idx" ON "api_keys" USING SPGIST ("prefix");
