-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "firstUsedAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "key_changes" (
    "seq" BIGSERIAL NOT NULL,
    "xid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
    "hash" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "key_changes_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE INDEX "key_changes_xid_seq_idx" ON "key_changes"("xid", "seq");

-- CreateIndex
CREATE INDEX "key_changes_at_idx" ON "key_changes"("at");

-- Hand-written below: what schema.prisma cannot say.

-- A change to what a key's verification answers is both announced (NOTIFY,
-- for the caches of rekey's own instances) and written to key_changes (the
-- change stream that in-process verifiers follow with a cursor). A null hash
-- means that every answer may have changed (a policy's rule changed).
CREATE FUNCTION rekey_record_key_change(changed_hash text) RETURNS void AS $$
BEGIN
  INSERT INTO "key_changes" ("hash") VALUES (changed_hash);
  PERFORM pg_notify('rekey_key_changed', COALESCE(changed_hash, '*'));
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION rekey_notify_key_change() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'api_keys' THEN
    PERFORM rekey_record_key_change(NEW."hash");
  ELSE
    PERFORM rekey_record_key_change(k."hash") FROM "api_keys" k WHERE k."id" = NEW."keyId";
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Verification now applies the deadline itself (from the scheduled time, the
-- grace period and the extension rule), so these columns matter too.
DROP TRIGGER "rotations_notify_key_change" ON "rotations";
CREATE TRIGGER "rotations_notify_key_change"
  AFTER INSERT OR UPDATE OF "state", "graceEndsAt", "successorId", "scheduledAt", "startedAt", "gracePeriodHours", "deadlineExtended", "kind" ON "rotations"
  FOR EACH ROW EXECUTE FUNCTION rekey_notify_key_change();

-- A successor's first use decides whether its predecessor's deadline is
-- extended: it changes the answer of the old key, not of the successor.
CREATE FUNCTION rekey_notify_successor_used() RETURNS trigger AS $$
BEGIN
  PERFORM rekey_record_key_change(k."hash")
  FROM "rotations" r JOIN "api_keys" k ON k."id" = r."keyId"
  WHERE r."successorId" = NEW."id" AND r."openKeyId" IS NOT NULL;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "api_keys_notify_successor_used"
  AFTER UPDATE OF "firstUsedAt" ON "api_keys"
  FOR EACH ROW WHEN (OLD."firstUsedAt" IS NULL AND NEW."firstUsedAt" IS NOT NULL)
  EXECUTE FUNCTION rekey_notify_successor_used();

-- Which policy applies, and whether it waits for the successor's first use,
-- change the answer of many keys at once.
CREATE FUNCTION rekey_notify_policy_change() RETURNS trigger AS $$
BEGIN
  PERFORM rekey_record_key_change(NULL);
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "organizations_notify_policy_change"
  AFTER UPDATE OF "policyId" ON "organizations"
  FOR EACH ROW WHEN (OLD."policyId" IS DISTINCT FROM NEW."policyId")
  EXECUTE FUNCTION rekey_notify_policy_change();

CREATE TRIGGER "rotation_policies_notify_change"
  AFTER UPDATE OF "waitForSuccessorUse", "isDefault" ON "rotation_policies"
  FOR EACH ROW WHEN (OLD."waitForSuccessorUse" IS DISTINCT FROM NEW."waitForSuccessorUse" OR OLD."isDefault" IS DISTINCT FROM NEW."isDefault")
  EXECUTE FUNCTION rekey_notify_policy_change();

CREATE TRIGGER "rotation_policies_notify_insert_delete"
  AFTER INSERT OR DELETE ON "rotation_policies"
  FOR EACH ROW EXECUTE FUNCTION rekey_notify_policy_change();
