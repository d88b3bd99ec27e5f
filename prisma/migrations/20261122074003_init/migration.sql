-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'operator', 'auditor', 'customer');

-- CreateEnum
CREATE TYPE "Environment" AS ENUM ('live', 'test');

-- CreateEnum
CREATE TYPE "KeyStatus" AS ENUM ('active', 'expiring', 'revoked', 'expired');

-- CreateEnum
CREATE TYPE "RotationKind" AS ENUM ('scheduled', 'manual', 'emergency');

-- CreateEnum
CREATE TYPE "RotationState" AS ENUM ('scheduled', 'grace', 'completed', 'cancelled', 'rolled_back', 'failed');

-- CreateEnum
CREATE TYPE "Delivery" AS ENUM ('portal', 'response');

-- CreateEnum
CREATE TYPE "NotificationStatus" AS ENUM ('pending', 'sent', 'failed');

-- CreateEnum
CREATE TYPE "AlertStatus" AS ENUM ('open', 'acknowledged', 'resolved');

-- CreateTable
CREATE TABLE "rotation_policies" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "isDefault" BOOLEAN NOT NULL DEFAULT false,
    "maxAgeDays" INTEGER NOT NULL DEFAULT 90,
    "gracePeriodHours" INTEGER NOT NULL DEFAULT 72,
    "emergencyGraceHours" INTEGER NOT NULL DEFAULT 4,
    "noticeDays" INTEGER NOT NULL DEFAULT 7,
    "maxPostponements" INTEGER NOT NULL DEFAULT 2,
    "postponeDays" INTEGER NOT NULL DEFAULT 30,
    "waitForSuccessorUse" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rotation_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "organizations" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "contactEmails" TEXT[],
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "policyId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "role" "Role" NOT NULL,
    "organizationId" TEXT,
    "passwordHash" TEXT,
    "disabledAt" TIMESTAMPTZ(3),
    "lastSignInAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "management_tokens" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "management_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "environment" "Environment" NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "rateLimit" INTEGER NOT NULL DEFAULT 1000,
    "status" "KeyStatus" NOT NULL DEFAULT 'active',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "predecessorId" TEXT,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rotations" (
    "id" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "successorId" TEXT,
    "openKeyId" TEXT,
    "kind" "RotationKind" NOT NULL,
    "state" "RotationState" NOT NULL,
    "deliver" "Delivery" NOT NULL DEFAULT 'portal',
    "reason" TEXT,
    "gracePeriodHours" INTEGER NOT NULL,
    "scheduledAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "graceEndsAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),
    "cancelledAt" TIMESTAMPTZ(3),
    "rolledBackAt" TIMESTAMPTZ(3),
    "failedAt" TIMESTAMPTZ(3),
    "failureReason" TEXT,
    "deadlineExtended" BOOLEAN NOT NULL DEFAULT false,
    "postponements" INTEGER NOT NULL DEFAULT 0,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rotations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "seq" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "organizationId" TEXT,
    "keyId" TEXT,
    "keyFingerprint" TEXT,
    "rotationId" TEXT,
    "reason" TEXT,
    "outcome" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "notifications" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "keyId" TEXT,
    "rotationId" TEXT,
    "recipient" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "NotificationStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL,
    "sentAt" TIMESTAMPTZ(3),
    "messageId" TEXT,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "status" "AlertStatus" NOT NULL DEFAULT 'open',
    "organizationId" TEXT,
    "keyId" TEXT,
    "rotationId" TEXT,
    "message" TEXT NOT NULL,
    "dedupeKey" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledgedAt" TIMESTAMPTZ(3),
    "acknowledgedBy" TEXT,
    "resolvedAt" TIMESTAMPTZ(3),

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_usage_hourly" (
    "keyId" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "verifications" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "key_usage_hourly_pkey" PRIMARY KEY ("keyId","hour")
);

-- CreateTable
CREATE TABLE "verification_counts" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "result" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "verification_counts_pkey" PRIMARY KEY ("hour","result")
);

-- CreateIndex
CREATE UNIQUE INDEX "rotation_policies_name_key" ON "rotation_policies"("name");

-- CreateIndex
CREATE UNIQUE INDEX "organizations_name_key" ON "organizations"("name");

-- CreateIndex
CREATE INDEX "organizations_policyId_idx" ON "organizations"("policyId");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "users_organizationId_idx" ON "users"("organizationId");

-- CreateIndex
CREATE UNIQUE INDEX "management_tokens_hash_key" ON "management_tokens"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_organizationId_status_idx" ON "api_keys"("organizationId", "status");

-- CreateIndex
CREATE INDEX "api_keys_status_createdAt_idx" ON "api_keys"("status", "createdAt");

-- CreateIndex
CREATE INDEX "api_keys_createdAt_idx" ON "api_keys"("createdAt");

-- CreateIndex
CREATE INDEX "api_keys_predecessorId_idx" ON "api_keys"("predecessorId");

-- CreateIndex
CREATE UNIQUE INDEX "rotations_openKeyId_key" ON "rotations"("openKeyId");

-- CreateIndex
CREATE INDEX "rotations_state_scheduledAt_idx" ON "rotations"("state", "scheduledAt");

-- CreateIndex
CREATE INDEX "rotations_state_graceEndsAt_idx" ON "rotations"("state", "graceEndsAt");

-- CreateIndex
CREATE INDEX "rotations_keyId_idx" ON "rotations"("keyId");

-- CreateIndex
CREATE INDEX "rotations_successorId_idx" ON "rotations"("successorId");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_hash_key" ON "audit_events"("hash");

-- CreateIndex
CREATE INDEX "audit_events_at_idx" ON "audit_events"("at");

-- CreateIndex
CREATE INDEX "audit_events_keyId_seq_idx" ON "audit_events"("keyId", "seq");

-- CreateIndex
CREATE INDEX "audit_events_organizationId_at_idx" ON "audit_events"("organizationId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "notifications_idempotencyKey_key" ON "notifications"("idempotencyKey");

-- CreateIndex
CREATE INDEX "notifications_status_nextAttemptAt_idx" ON "notifications"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "notifications_rotationId_idx" ON "notifications"("rotationId");

-- CreateIndex
CREATE UNIQUE INDEX "alerts_dedupeKey_key" ON "alerts"("dedupeKey");

-- CreateIndex
CREATE INDEX "alerts_status_createdAt_idx" ON "alerts"("status", "createdAt");

-- CreateIndex
CREATE INDEX "alerts_keyId_idx" ON "alerts"("keyId");

-- CreateIndex
CREATE INDEX "key_usage_hourly_hour_idx" ON "key_usage_hourly"("hour");

-- AddForeignKey
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "rotation_policies"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_predecessorId_fkey" FOREIGN KEY ("predecessorId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rotations" ADD CONSTRAINT "rotations_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "api_keys"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rotations" ADD CONSTRAINT "rotations_successorId_fkey" FOREIGN KEY ("successorId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_usage_hourly" ADD CONSTRAINT "key_usage_hourly_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "api_keys"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below: what schema.prisma cannot say.

-- Every app instance caches verification answers in process. A change to what
-- a key's verification answers (status, deadline, successor) is announced on
-- this channel, so every instance drops its cached answer at once: DOMAIN.md
-- wants a revoke to take effect everywhere within a second. The payload is the
-- key's keyed hash, which is useless without the server secret.
CREATE FUNCTION rekey_notify_key_change() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'api_keys' THEN
    PERFORM pg_notify('rekey_key_changed', NEW."hash");
  ELSE
    PERFORM pg_notify('rekey_key_changed', k."hash") FROM "api_keys" k WHERE k."id" = NEW."keyId";
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "api_keys_notify_key_change"
  AFTER INSERT OR UPDATE OF "status", "expiresAt", "revokedAt", "scopes", "rateLimit", "organizationId" ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION rekey_notify_key_change();

CREATE TRIGGER "rotations_notify_key_change"
  AFTER INSERT OR UPDATE OF "state", "graceEndsAt", "successorId" ON "rotations"
  FOR EACH ROW EXECUTE FUNCTION rekey_notify_key_change();

-- The audit trail is append-only: an edit or delete must be made by someone
-- who first disables this trigger, and the hash chain still exposes it.
CREATE FUNCTION rekey_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "audit_events_append_only"
  BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION rekey_audit_append_only();
