-- CreateEnum
CREATE TYPE "AgentOutcome" AS ENUM ('delivered', 'failed');

-- CreateTable
CREATE TABLE "agent_reports" (
    "id" TEXT NOT NULL,
    "rotationId" TEXT NOT NULL,
    "outcome" "AgentOutcome" NOT NULL,
    "destinations" TEXT[],
    "failedAt" TEXT,
    "message" TEXT,
    "reportedBy" TEXT NOT NULL,
    "reportedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_reports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "agent_reports_rotationId_reportedAt_idx" ON "agent_reports"("rotationId", "reportedAt");

-- AddForeignKey
ALTER TABLE "agent_reports" ADD CONSTRAINT "agent_reports_rotationId_fkey" FOREIGN KEY ("rotationId") REFERENCES "rotations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
