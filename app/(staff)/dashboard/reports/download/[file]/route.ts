import { publicHandler, errorResponse } from "@/lib/http/api-handler";
import { requirePermission } from "@/lib/auth/authorize";
import { reportScopeFromSearch } from "@/lib/reports/scope";
import { scopeQuery } from "@/lib/reports/period";
import { auditCsvChunks, auditJsonlChunks, complianceCsvChunks, digestOf, loadReportContext, recordedDownload } from "@/lib/reports/files";
import { compliancePdf } from "@/lib/reports/pdf";

const TYPES: Record<string, string> = {
  "compliance.csv": "text/csv; charset=utf-8",
  "compliance.pdf": "application/pdf",
  "audit-log.csv": "text/csv; charset=utf-8",
  "audit-log.jsonl": "application/jsonl; charset=utf-8",
};

/**
 * The report files for admins and auditors: compliance (CSV, PDF) and the
 * audit log (CSV, JSON Lines) of a period. CSV and JSON Lines stream; every
 * finished download is an audit event with the file's SHA-256.
 */
export const GET = publicHandler(async ({ request, params, now }) => {
  const viewer = await requirePermission("reports:download");
  const file = params.file;
  if (!TYPES[file]) return errorResponse(404, "not_found", "No such report: choose compliance.csv, compliance.pdf, audit-log.csv or audit-log.jsonl.");
  const url = new URL(request.url);
  const scope = reportScopeFromSearch(url.searchParams, now);
  if (scope.implied) {
    // A period that has not ended, without its instant: send the reader to the link that names one, which gives the same file every time.
    return new Response(null, { status: 303, headers: { location: `${url.pathname}?${scopeQuery(scope)}`, "cache-control": "no-store" } });
  }
  const stem = `rekey-${file.split(".")[0]}-${scope.from.toISOString().slice(0, 10)}-to-${new Date((scope.periodTo ?? scope.to).getTime() - 86_400_000).toISOString().slice(0, 10)}`;
  const name = `${stem}${scope.asOf ? `-as-of-${scope.asOf.toISOString().slice(0, 16).replace(":", "")}Z` : ""}.${file.split(".")[1]}`;
  const actor = `user:${viewer.userId}` as const;
  let body: ReadableStream<Uint8Array>;
  if (file.startsWith("audit-log")) {
    // The audit log is exported whole for the period, whatever the organization filter: a chain can only be checked unbroken.
    body = recordedDownload(file.endsWith(".csv") ? auditCsvChunks(scope) : auditJsonlChunks(scope), { actor, file, scope }, now);
  } else {
    const ctx = await loadReportContext(scope, now);
    if (file === "compliance.csv") {
      body = recordedDownload(complianceCsvChunks(ctx), { actor, file, scope, chainHead: ctx.chain.headHash }, now);
    } else {
      const evidence = await digestOf(complianceCsvChunks(ctx));
      const evidencePath = `/dashboard/reports/download/compliance.csv?${scopeQuery(scope)}`;
      const pdf = await compliancePdf(ctx, { evidenceSha256: evidence.sha256, evidencePath, generatedAt: now, generatedBy: viewer.email });
      body = recordedDownload(
        (async function* () {
          yield new Uint8Array(pdf);
        })(),
        { actor, file, scope, chainHead: ctx.chain.headHash, evidenceSha256: evidence.sha256 },
        now,
      );
    }
  }
  return new Response(body, { headers: { "content-type": TYPES[file], "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" } });
});
