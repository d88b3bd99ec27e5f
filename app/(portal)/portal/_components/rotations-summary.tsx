import Link from "next/link";
import { formatDistanceStrict } from "date-fns";
import { Countdown } from "@/components/countdown";
import { formatInZone } from "@/lib/time";

export interface RotationsSummaryProps {
  rows: {
    keyId: string;
    keyPrefix: string;
    keyName: string;
    lastUsedAt: Date | null;
    rotation: { kind: string; state: string; scheduledAt: Date; graceEndsAt: Date | null; successor: { prefix: string } | null };
  }[];
  timeZone: string;
  now: Date;
}

/** Many rotations at once (a policy catching up): one table instead of a wall of banners, the most urgent first. */
export function RotationsSummary({ rows, timeZone, now }: RotationsSummaryProps) {
  const inGrace = rows.filter((r) => r.rotation.state === "grace");
  const waiting = inGrace.filter((r) => !r.rotation.successor).length;
  const sorted = [...rows].sort((a, b) => {
    const rank = (r: RotationsSummaryProps["rows"][number]) => (r.rotation.state === "grace" ? 0 : 1);
    const when = (r: RotationsSummaryProps["rows"][number]) => (r.rotation.state === "grace" ? r.rotation.graceEndsAt! : r.rotation.scheduledAt).getTime();
    return rank(a) - rank(b) || when(a) - when(b);
  });
  return (
    <section
      className={`banner ${inGrace.some((r) => r.rotation.kind === "emergency") ? "emergency" : inGrace.length ? "grace" : "scheduled"}`}
      aria-label="Rotations under way"
    >
      <p>
        <strong>
          {inGrace.length} of your keys {inGrace.length === 1 ? "is" : "are"} being rotated
          {rows.length > inGrace.length ? `, ${rows.length - inGrace.length} more scheduled` : ""}.
        </strong>{" "}
        {waiting > 0 ? `${waiting} new key${waiting === 1 ? " is" : "s are"} ready to reveal.` : "Every new key is revealed."} Each old key works until its
        deadline below ({timeZone}).
      </p>
      <div className="scroll-x">
        <table className="compact">
          <caption className="sr-only">Rotations under way</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Old key works until</th>
              <th scope="col">Old key last used</th>
              <th scope="col">New key</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.keyId}>
                <td data-label="Key">
                  <Link href={`/portal/keys/${r.keyId}`}>
                    <code>{r.keyPrefix}…</code>
                  </Link>{" "}
                  <span className="sub">{r.keyName}</span>
                  {r.rotation.kind === "emergency" ? <span className="badge revoked"> emergency</span> : null}
                </td>
                <td data-label="Old key works until">
                  {r.rotation.graceEndsAt ? formatInZone(r.rotation.graceEndsAt, timeZone) : "—"}{" "}
                  {r.rotation.graceEndsAt ? (
                    <span className="sub">
                      (<Countdown to={r.rotation.graceEndsAt.toISOString()} />)
                    </span>
                  ) : null}
                </td>
                <td data-label="Old key last used">{r.lastUsedAt ? `${formatDistanceStrict(r.lastUsedAt, now)} ago` : <span className="sub">never</span>}</td>
                <td data-label="New key">
                  {r.rotation.state === "scheduled" ? (
                    <span className="sub">from {formatInZone(r.rotation.scheduledAt, timeZone)}</span>
                  ) : r.rotation.successor ? (
                    <span>
                      revealed <code>{r.rotation.successor.prefix}…</code>
                    </span>
                  ) : (
                    <Link className="button small" href={`/portal/keys/${r.keyId}`}>
                      Get the new key
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
