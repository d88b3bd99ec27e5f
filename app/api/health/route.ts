import { verifyListenerState } from "@/lib/keys/verify";

/**
 * Liveness, and whether this instance hears of changes made elsewhere (the
 * LISTEN connection that spreads revocations; while it is down, cached
 * verification answers are trusted for a second only). Always 200 while the
 * process serves: "degraded" is for a person or a dashboard, not a reason to
 * take the instance out. Also the floor of bench:verify: no query.
 */
export function GET() {
  const { up, reconnects, starting } = verifyListenerState();
  return Response.json({
    status: up || starting ? "ok" : "degraded",
    invalidation: starting ? { listening: false, starting: true } : { listening: up, reconnects },
  });
}
