-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "externalId" TEXT,
ADD COLUMN     "metadata" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "deletedAt" TIMESTAMPTZ(3),
ADD COLUMN     "externalId" TEXT,
ADD COLUMN     "metadata" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "actor" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "status" INTEGER,
    "response" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("actor","key")
);

-- CreateIndex
CREATE INDEX "idempotency_keys_createdAt_idx" ON "idempotency_keys"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_externalId_key" ON "api_keys"("externalId");

-- CreateIndex
CREATE INDEX "api_keys_organizationId_id_idx" ON "api_keys"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "organizations_externalId_key" ON "organizations"("externalId");

-- Hand-written below: what schema.prisma cannot say.

-- Verification answers carry the key's and its organization's externalId and
-- metadata (docs/verifier-protocol.md), so a change to them is a change of
-- the record: the key's own columns join the trigger's list, and an
-- organization's change announces each of its keys (set-based: one INSERT
-- per key, in the change's transaction).
DROP TRIGGER "api_keys_notify_key_change" ON "api_keys";
CREATE TRIGGER "api_keys_notify_key_change"
  AFTER INSERT OR UPDATE OF "status", "expiresAt", "revokedAt", "scopes", "rateLimit", "organizationId", "externalId", "metadata" ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION rekey_notify_key_change();

CREATE FUNCTION rekey_notify_organization_change() RETURNS trigger AS $$
BEGIN
  PERFORM rekey_record_key_change(k."hash") FROM "api_keys" k WHERE k."organizationId" = NEW."id";
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "organizations_notify_identity_change"
  AFTER UPDATE OF "externalId", "metadata" ON "organizations"
  FOR EACH ROW WHEN (OLD."externalId" IS DISTINCT FROM NEW."externalId" OR OLD."metadata" IS DISTINCT FROM NEW."metadata")
  EXECUTE FUNCTION rekey_notify_organization_change();
