import { PolicyException } from "@/components/policy-exception";
import { describeActorsForStaff } from "@/lib/audit/actors";
import Link from "next/link";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { differenceInCalendarDays, formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { roleMay } from "@/lib/auth/permissions";
import { getKeyDetail, getKeyTimeline, getMigrationSeries } from "@/lib/keys/queries";
import { MigrationChart } from "@/components/migration-chart";
import { latestAllowedStart } from "@/lib/rotations/limits";
import { formatStaffTime, formatUtcMinute } from "@/lib/time";
import { getEffectivePolicy } from "@/lib/policies/queries";
import { getPrisma } from "@/lib/db";
import { StatusBadge } from "@/components/status-badge";
import { KeyActions } from "./_components/key-actions";
import { LEGACY_ALGORITHM_LABEL, type LegacyAlgorithm } from "@/lib/keys/import-schemas";
import { latestAgentReports } from "@/lib/rotations/agent";
import { AgentReport } from "@/components/agent-report";

export const metadata: Metadata = { title: "Key" };

type KeyPageProps = { params: Promise<{ id: string }> };

const when = (d: Date | null | undefined) => (d ? formatStaffTime(d) : "—");

export default async function KeyPage({ params }: KeyPageProps) {
  await connection();
  const { id } = await params;
  const viewer = await requirePagePermission("staff:read", `/dashboard/keys/${id}`);
  const key = await getKeyDetail(id);
  if (!key) notFound();
  const policy = await getEffectivePolicy(await getPrisma(), key.organizationId);
  const latestStart = latestAllowedStart(key.createdAt, policy, policy.gracePeriodHours);
  const timeline = await getKeyTimeline(
    key.id,
    key.rotations.map((r) => r.id),
  );
  const open = key.rotations.find((r) => r.state === "scheduled" || r.state === "grace") ?? null;
  const agentReport = open ? (await latestAgentReports([open.id])).get(open.id) : undefined;
  const lastChange = [...timeline].reverse().find((e) => e.actor !== "system:seed") ?? timeline.at(-1);
  const who = await describeActorsForStaff(timeline.map((e) => e.actor));
  const actor = (a: string) => <span title={a}>{who.get(a)?.label ?? a}</span>;
  const now = new Date();
  const age = differenceInCalendarDays(now, key.createdAt);
  // During grace, the lead watches traffic move from the old key to the new one.
  const migration = open?.state === "grace" ? await getMigrationSeries(key.id, open.successorId, now) : null;

  return (
    <>
      <p className="crumbs">
        <Link href="/dashboard/keys">Keys</Link> / <code>{key.prefix}…</code>
      </p>
      <h1>
        <code>{key.prefix}…</code> <StatusBadge value={key.status} />
      </h1>
      <p className="lede">
        {key.name} of <strong>{key.organization.name}</strong>, {key.environment} environment.
      </p>

      <div className="detail-grid">
        <section className="card" aria-label="Key">
          <dl className="facts">
            <dt>Age</dt>
            <dd>
              {age} days {age > policy.maxAgeDays ? <span className="badge revoked">over max age</span> : <span className="badge active">within policy</span>}
            </dd>
            <dt>Policy</dt>
            <dd>
              {policy.name}: max {policy.maxAgeDays} days, grace {policy.gracePeriodHours} h
              <PolicyException reason={policy.exceptionReason} />
            </dd>
            <dt>Created</dt>
            <dd>{when(key.createdAt)}</dd>
            {key.importedAt && (
              <>
                <dt>Imported</dt>
                <dd>
                  {when(key.importedAt)}
                  <div className="sub">
                    {key.legacyAlgorithm
                      ? `Still on the ${LEGACY_ALGORITHM_LABEL[key.legacyAlgorithm as LegacyAlgorithm] ?? key.legacyAlgorithm} hash of the system it came from: it moves to rekey's keyed hash at its first successful verification.`
                      : "On rekey's keyed hash since its first verification; the hash it was imported with is deleted."}
                  </div>
                </dd>
              </>
            )}
            <dt>Last used</dt>
            <dd>{key.lastUsedAt ? `${formatDistanceStrict(key.lastUsedAt, now)} ago` : "never"}</dd>
            <dt>Scopes</dt>
            <dd>{key.scopes.length ? key.scopes.map((s) => <code key={s}>{s} </code>) : "none"}</dd>
            <dt>Rate limit</dt>
            <dd>{key.rateLimit.toLocaleString("en")} / min</dd>
            <dt>Predecessor</dt>
            <dd>
              {key.predecessor ? (
                <Link href={`/dashboard/keys/${key.predecessor.id}`}>
                  <code>{key.predecessor.prefix}…</code>
                </Link>
              ) : (
                "—"
              )}
            </dd>
            <dt>Successors</dt>
            <dd>
              {key.successors.length
                ? key.successors.map((s) => (
                    <span key={s.id}>
                      <Link href={`/dashboard/keys/${s.id}`}>
                        <code>{s.prefix}…</code>
                      </Link>{" "}
                      <StatusBadge value={s.status} />{" "}
                    </span>
                  ))
                : "—"}
            </dd>
          </dl>
        </section>
        <section className="card" aria-label="Rotation">
          <h2 style={{ marginTop: 0 }}>Rotation</h2>
          {open ? (
            <dl className="facts">
              <dt>State</dt>
              <dd>
                <StatusBadge value={open.state} />
              </dd>
              <dt>Kind</dt>
              <dd>{open.kind}</dd>
              <dt>{open.state === "scheduled" ? "Starts" : "Started"}</dt>
              <dd>{when(open.state === "scheduled" ? open.scheduledAt : open.startedAt)}</dd>
              <dt>Grace deadline</dt>
              <dd>
                {when(open.graceEndsAt)}
                {open.graceEndsAt && open.graceEndsAt > now ? <span className="sub"> (in {formatDistanceStrict(open.graceEndsAt, now)})</span> : null}
                {open.deadlineExtended ? <span className="sub"> · extended once: the successor was not used yet</span> : null}
              </dd>
              {open.postponements > 0 && (
                <>
                  <dt>Postponed</dt>
                  <dd>{open.postponements === 1 ? "once" : `${open.postponements} times`} (who and why: see the timeline)</dd>
                </>
              )}
              <dt>Successor</dt>
              <dd>{open.successor ? <code>{open.successor.prefix}…</code> : "not yet revealed by the customer"}</dd>
              {agentReport && (
                <>
                  <dt>Agent</dt>
                  <dd>
                    <AgentReport report={agentReport} format={when} />
                  </dd>
                </>
              )}
              <dt>Reason</dt>
              <dd>{open.reason ?? "—"}</dd>
            </dl>
          ) : (
            <p className="sub">No rotation under way.</p>
          )}
          {lastChange && (
            <p className="sub">
              Last touched by {actor(lastChange.actor)} ({lastChange.action.replace(".", " ")}
              {lastChange.reason ? `: ${lastChange.reason}` : ""}), {formatDistanceStrict(lastChange.at, now)} ago.
            </p>
          )}
        </section>
      </div>

      {migration && open && (
        <section className="card" aria-label="Migration" style={{ marginBottom: "1rem" }}>
          <MigrationChart series={migration} oldPrefix={key.prefix} newPrefix={open.successor?.prefix ?? null} />
        </section>
      )}

      {roleMay(viewer.role, "keys:rotate") && (
        <KeyActions
          keyId={key.id}
          keyPrefix={key.prefix}
          organizationName={key.organization.name}
          keyStatus={key.status}
          openRotation={open ? { id: open.id, state: open.state } : null}
          gracePeriodHours={policy.gracePeriodHours}
          emergencyGraceHours={policy.emergencyGraceHours}
          latestStart={latestStart > now ? formatUtcMinute(latestStart) : null}
          lastUsed={key.lastUsedAt ? `${formatDistanceStrict(key.lastUsedAt, now)} ago` : null}
        />
      )}

      <h2>Timeline</h2>
      <section className="card" aria-label="Timeline">
        {timeline.length === 0 ? (
          <p className="sub">No events recorded.</p>
        ) : (
          <ol className="timeline">
            {timeline.map((e) => (
              <li key={String(e.seq)}>
                <strong>{e.action.replace(".", " ").replace("_", " ")}</strong>{" "}
                <span className="sub">
                  by {actor(e.actor)}, {when(e.at)}
                </span>
                {e.keyFingerprint && e.keyFingerprint !== key.prefix ? <span className="sub"> · {e.keyFingerprint}</span> : null}
                {e.reason ? <div className="sub">{e.reason}</div> : null}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
