import Link from "next/link";
import { formatDistanceStrict } from "date-fns";
import { Countdown } from "@/components/countdown";
import { formatInZone } from "@/lib/time";

export interface RotationBannerProps {
  keyId: string;
  keyPrefix: string;
  keyName: string;
  lastUsedAt: Date | null;
  rotation: { kind: string; state: string; scheduledAt: Date; graceEndsAt: Date | null; successor: { prefix: string } | null; postponements: number };
  timeZone: string;
  now: Date;
  /** On the key's own page the banner does not link to it. */
  link?: boolean;
}

/**
 * What a customer must know about a rotation of one of their keys: until when
 * the old key works (in their time zone, with a countdown), and what still
 * runs on it.
 */
export function RotationBanner({ keyId, keyPrefix, keyName, lastUsedAt, rotation, timeZone, now, link = true }: RotationBannerProps) {
  const deadline = rotation.graceEndsAt;
  const used = lastUsedAt ? `Your old key was last used ${formatDistanceStrict(lastUsedAt, now)} ago` : "Your old key has not been used yet";
  if (rotation.state === "scheduled") {
    return (
      <section className="banner scheduled" aria-label={`Rotation of ${keyPrefix}`}>
        <p>
          <strong>
            {keyName} (<code>{keyPrefix}…</code>) will be rotated on {formatInZone(rotation.scheduledAt, timeZone)}
          </strong>{" "}
          (<Countdown to={rotation.scheduledAt.toISOString()} />
          ). From then on a new key waits for you here, and the old one keeps working until {deadline ? formatInZone(deadline, timeZone) : "its deadline"}.
        </p>
        {link && (
          <div className="banner-actions">
            <Link className="button secondary small" href={`/portal/keys/${keyId}`}>
              See the key{rotation.postponements === 0 ? " or postpone" : ""}
            </Link>
          </div>
        )}
      </section>
    );
  }
  const emergency = rotation.kind === "emergency";
  return (
    <section className={`banner ${emergency ? "emergency" : "grace"}`} aria-label={`Rotation of ${keyPrefix}`}>
      <p>
        <strong>
          {emergency ? "Emergency rotation: " : ""}
          {keyName} (<code>{keyPrefix}…</code>) is being rotated.
        </strong>{" "}
        The old key works until <strong>{deadline ? formatInZone(deadline, timeZone) : "—"}</strong>
        {deadline && (
          <>
            {" "}
            (<Countdown to={deadline.toISOString()} />)
          </>
        )}
        {timeZone !== "UTC" && deadline ? <span> · {formatInZone(deadline, "UTC")}</span> : null}.
      </p>
      <p>
        {used}.{" "}
        {rotation.successor ? (
          <>
            The new key <code>{rotation.successor.prefix}…</code> is revealed: put it wherever the old one still runs.
          </>
        ) : (
          <>Your new key is ready to reveal.</>
        )}
      </p>
      {link && (
        <div className="banner-actions">
          <Link className="button small" href={`/portal/keys/${keyId}`}>
            {rotation.successor ? "See the rotation" : "Get the new key"}
          </Link>
        </div>
      )}
    </section>
  );
}
