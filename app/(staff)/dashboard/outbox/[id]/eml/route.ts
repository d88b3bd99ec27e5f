import { publicHandler, errorResponse } from "@/lib/http/api-handler";
import { requirePermission } from "@/lib/auth/authorize";
import { getPrisma } from "@/lib/db";
import { readEml } from "@/lib/notifications/mailer";

/** The raw .eml of an email in the file outbox, for admins (it holds no key: emails never do). */
export const GET = publicHandler(async ({ params }) => {
  await requirePermission("outbox:manage");
  const prisma = await getPrisma();
  const row = await prisma.notification.findUnique({ where: { id: params.id }, select: { idempotencyKey: true, kind: true } });
  const eml = row ? readEml(row.idempotencyKey) : null;
  if (!row || !eml) return errorResponse(404, "not_found", "No such email in the file outbox.");
  return new Response(new Uint8Array(eml), {
    headers: { "content-type": "message/rfc822", "content-disposition": `inline; filename="${row.kind}-${params.id}.eml"`, "cache-control": "no-store" },
  });
});
