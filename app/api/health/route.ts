/** Liveness, and the floor that bench:verify compares the verify endpoint against: no database work. */
export function GET() {
  return Response.json({ status: "ok" });
}
