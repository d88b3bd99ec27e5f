-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "importDigest" TEXT,
ADD COLUMN     "importedAt" TIMESTAMPTZ(3),
ADD COLUMN     "legacyAlgorithm" TEXT,
ADD COLUMN     "legacyHash" TEXT,
ADD COLUMN     "legacyParams" JSONB;

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_importDigest_key" ON "api_keys"("importDigest");

-- Hand-written below: what schema.prisma cannot say.

-- Verification finds an imported key that is still on its legacy hash by its
-- display prefix (a salted bcrypt or argon2 hash cannot be looked up): a
-- B-tree (it serves prefix = ANY(...)) over those keys only.
CREATE INDEX "api_keys_legacy_prefix_idx" ON "api_keys" ("prefix") WHERE "legacyHash" IS NOT NULL;

-- A legacy key is stored under exactly one of the two: rekey's keyed hash
-- (version >= 1) or its legacy hash (version 0, with an algorithm).
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_legacy_hash_check"
  CHECK (("legacyHash" IS NULL AND "legacyAlgorithm" IS NULL AND "hashVersion" >= 1)
      OR ("legacyHash" IS NOT NULL AND "legacyAlgorithm" IN ('sha256', 'bcrypt', 'argon2', 'scrypt') AND "hashVersion" = 0));
