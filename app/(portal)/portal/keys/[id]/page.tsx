import { PolicyException } from "@/components/policy-exception";
import Link from "next/link";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { differenceInCalendarDays, formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { scopeOf } from "@/lib/auth/scope";
import { describeActors, getPortalKey, getPortalOrganization } from "@/lib/portal/queries";
import { getKeyTimeline, getMigrationSeries } from "@/lib/keys/queries";
import { formatInZone } from "@/lib/time";
import { StatusBadge } from "@/components/status-badge";
import { MigrationChart } from "@/components/migration-chart";
import { RotationBanner } from "../../_components/rotation-banner";
import { RevealPanel } from "./_components/reveal-panel";
import { PortalKeyActions } from "./_components/portal-key-actions";
import { isRevokedAtOnce } from "@/lib/rotations/successor";
import { latestAgentReports } from "@/lib/rotations/agent";
import { AgentReport } from "@/components/agent-report";

export const metadata: Metadata = { title: "Your key" };

type PortalKeyPageProps = { params: Promise<{ id: string }> };

const ACTIONS: Record<string, string> = {
  "key.created": "Key issued",
  "key.issued": "Key issued",
  "key.imported": "Key brought over from the earlier key system",
  "key.hash_upgraded": "Key now checked by rekey's own hash",
  "key.revoked": "Key revoked",
  "key.reactivated": "Key active again",
  "key.leaked": "Key reported leaked",
  "rotation.scheduled": "Rotation scheduled",
  "rotation.started": "Rotation started",
  "rotation.postponed": "Rotation postponed",
  "rotation.extended": "Deadline extended",
  "rotation.grace_ended": "Grace ended early: the new key is delivered and in use",
  "rotation.completed": "Rotation completed",
  "rotation.cancelled": "Rotation cancelled",
  "rotation.rolled_back": "Rotation rolled back",
  "rotation.failed": "Rotation failed",
  "rotation.delivered": "New key delivered by the agent",
  "rotation.delivery_failed": "The agent could not deliver the new key",
};

/** "alert.raised" → "Alert raised", for actions without a label of their own. */
const readable = (action: string) => {
  const words = action.replace(/[._]/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export default async function PortalKeyPage({ params }: PortalKeyPageProps) {
  await connection();
  const { id } = await params;
  const viewer = await requirePagePermission("portal:use", `/portal/keys/${id}`);
  const { organizationId } = scopeOf(viewer);
  const [org, key] = await Promise.all([getPortalOrganization(organizationId!), getPortalKey(organizationId!, id)]);
  // Another organization's key is not found, exactly like a key that does not exist.
  if (!org || !key) notFound();
  const now = new Date();
  const tz = org.timeZone;
  const open = key.openRotation;
  const inGrace = open?.state === "grace" && open.graceEndsAt && open.graceEndsAt > now ? open : null;
  // Revoked at once in an emergency: no grace, but the new key is still to be revealed here.
  const revokedAtOnce = !open && key.rotations[0] && isRevokedAtOnce(key.rotations[0]) ? key.rotations[0] : null;
  const revealable = inGrace ?? revokedAtOnce;
  const timeline = (
    await getKeyTimeline(
      key.id,
      key.rotations.map((r) => r.id),
    )
  ).reverse();
  const who = await describeActors(
    timeline.map((e) => e.actor),
    org.id,
  );
  const migration = inGrace ? await getMigrationSeries(key.id, inGrace.successorId, now) : null;
  const revealedAt = revealable?.successorId ? key.successors.find((s) => s.id === revealable.successorId)?.createdAt : undefined;
  const age = differenceInCalendarDays(now, key.createdAt);
  const agentReport = open ? (await latestAgentReports([open.id])).get(open.id) : undefined;

  return (
    <>
      <p className="crumbs">
        <Link href="/portal">Your keys</Link> / <code>{key.prefix}…</code>
      </p>
      <h1>
        <code>{key.prefix}…</code> <StatusBadge value={key.status} />
      </h1>
      <p className="lede">
        {key.name}, {key.environment} environment{key.status === "expiring" ? ": expiring, it stops working at the grace deadline below" : ""}.
      </p>

      {open && (
        <RotationBanner
          keyId={key.id}
          keyPrefix={key.prefix}
          keyName={key.name}
          lastUsedAt={key.lastUsedAt}
          rotation={open}
          timeZone={tz}
          now={now}
          link={false}
        />
      )}

      <div className="panel-grid">
        {revealable && (
          <section className="card" aria-label="New key">
            <h2>Your new key</h2>
            {revokedAtOnce && (
              <p className="bad-text" style={{ fontSize: "0.95rem" }}>
                This key was revoked at once in an emergency{revokedAtOnce.reason ? ` (${revokedAtOnce.reason})` : ""}: it no longer works. Its replacement is
                here.
              </p>
            )}
            <RevealPanel
              rotationId={revealable.id}
              successor={revealable.successor && revealedAt ? { prefix: revealable.successor.prefix, revealedAt: formatInZone(revealedAt, tz) } : null}
              email={viewer.email}
              deadline={inGrace ? formatInZone(inGrace.graceEndsAt!, tz) : "already passed: the old key was revoked at once"}
            />
          </section>
        )}
        <section className="card" aria-label="Key">
          <h2>Key</h2>
          <dl className="facts">
            <dt>Scopes</dt>
            <dd>{key.scopes.length ? key.scopes.map((s) => <code key={s}>{s} </code>) : "none"}</dd>
            <dt>Created</dt>
            <dd>{formatInZone(key.createdAt, tz)}</dd>
            <dt>Age</dt>
            <dd>
              {age} days <span className="sub">(policy: at most {key.policy.maxAgeDays})</span>
              <PolicyException reason={key.policy.exceptionReason ?? null} />
            </dd>
            <dt>Last used</dt>
            <dd>{key.lastUsedAt ? `${formatDistanceStrict(key.lastUsedAt, now)} ago` : "never"}</dd>
            <dt>Next rotation</dt>
            <dd>{open?.state === "grace" ? "under way" : key.nextRotationAt ? formatInZone(key.nextRotationAt, tz) : "—"}</dd>
            <dt>Agent</dt>
            <dd>
              {agentReport ? (
                <AgentReport report={agentReport} format={(at) => formatInZone(at, tz)} />
              ) : (
                <span className="sub">
                  Let the <Link href="/docs/agent">rekey agent</Link> rotate this key and deliver the new one to your services, with no one in between.
                </span>
              )}
            </dd>
            <dt>Replaces</dt>
            <dd>
              {key.predecessor ? (
                <Link href={`/portal/keys/${key.predecessor.id}`}>
                  <code>{key.predecessor.prefix}…</code>
                </Link>
              ) : (
                "—"
              )}
            </dd>
            <dt>Replaced by</dt>
            <dd>
              {key.successors.length
                ? key.successors.map((s) => (
                    <span key={s.id}>
                      <Link href={`/portal/keys/${s.id}`}>
                        <code>{s.prefix}…</code>
                      </Link>{" "}
                      <StatusBadge value={s.status} />{" "}
                    </span>
                  ))
                : "—"}
            </dd>
          </dl>
        </section>
        <section className="card" aria-label="Actions">
          <h2>Actions</h2>
          <PortalKeyActions
            keyId={key.id}
            keyPrefix={key.prefix}
            keyStatus={key.status}
            openRotation={open ? { id: open.id, state: open.state, postponements: open.postponements } : null}
            gracePeriodHours={key.policy.gracePeriodHours}
            postpone={{ days: key.policy.postponeDays, max: key.policy.maxPostponements }}
            mayRevoke={key.policy.customersManageKeys}
            email={viewer.email}
          />
        </section>
      </div>

      {migration && inGrace && (
        <section className="card" aria-label="Usage" style={{ marginBottom: "1rem" }}>
          <h2>Is anything still using the old key?</h2>
          <MigrationChart series={migration} oldPrefix={key.prefix} newPrefix={inGrace.successor?.prefix ?? null} />
        </section>
      )}

      <h2>History</h2>
      <section className="card" aria-label="History">
        {timeline.length === 0 ? (
          <p className="sub">Nothing recorded yet.</p>
        ) : (
          <ol className="timeline">
            {timeline.map((e) => (
              <li key={String(e.seq)}>
                <strong>{ACTIONS[e.action] ?? readable(e.action)}</strong>
                {e.keyFingerprint && e.keyFingerprint !== key.prefix ? (
                  <>
                    {" "}
                    <code>{e.keyFingerprint}…</code>
                  </>
                ) : null}{" "}
                <span className="sub">
                  by {who.get(e.actor)}, {formatInZone(e.at, tz)}
                </span>
                {e.reason ? <div className="sub">{e.reason}</div> : null}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
