import { publicHandler, jsonNoStore } from "@/lib/http/api-handler";
import { requireEnvSecret } from "@/lib/http/bearer";
import { runCron } from "@/lib/cron/run";

// Vercel's cron calls GET; `npm start` calls POST every minute. Either needs
// Authorization: Bearer $CRON_SECRET.
export const maxDuration = 60;

const handler = publicHandler(async ({ request, now }) => {
  requireEnvSecret(request, "CRON_SECRET");
  const summary = await runCron(now);
  return jsonNoStore(summary, summary.errors.length ? 500 : 200);
});

export const GET = handler;
export const POST = handler;
