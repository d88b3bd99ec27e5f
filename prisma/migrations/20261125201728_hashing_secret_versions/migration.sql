-- AlterTable
-- Every existing hash was made with the one secret of before: version 1. No default after that: every
-- write names the version it hashed with (a forgotten one must fail, not claim version 1).
ALTER TABLE "api_keys" ADD COLUMN     "hashVersion" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "api_keys" ALTER COLUMN "hashVersion" DROP DEFAULT;

-- AlterTable
-- Every existing hash was made with the one secret of before: version 1. No default after that: every
-- write names the version it hashed with (a forgotten one must fail, not claim version 1).
ALTER TABLE "management_tokens" ADD COLUMN     "hashVersion" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "management_tokens" ALTER COLUMN "hashVersion" DROP DEFAULT;

-- CreateTable
CREATE TABLE "hash_versions" (
    "version" INTEGER NOT NULL,
    "currentSince" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "hash_versions_pkey" PRIMARY KEY ("version")
);

-- CreateIndex
CREATE INDEX "api_keys_hashVersion_status_idx" ON "api_keys"("hashVersion", "status");

-- Hand-written below: what schema.prisma cannot say.

-- A key re-hashed under the current hashing secret (at its next successful
-- verification) is known by a new hash: the old one is gone (caches forget
-- it, replicas delete it: its record is null now) and the new one carries the
-- record. Both go to key_changes and NOTIFY, as every other change does.
CREATE FUNCTION rekey_notify_key_rehashed() RETURNS trigger AS $$
BEGIN
  PERFORM rekey_record_key_change(OLD."hash");
  PERFORM rekey_record_key_change(NEW."hash");
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "api_keys_notify_rehashed"
  AFTER UPDATE OF "hash" ON "api_keys"
  FOR EACH ROW WHEN (OLD."hash" IS DISTINCT FROM NEW."hash")
  EXECUTE FUNCTION rekey_notify_key_rehashed();
