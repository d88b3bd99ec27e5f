import { PolicyException } from "@/components/policy-exception";
import Link from "next/link";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { differenceInCalendarDays, formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { scopeOf } from "@/lib/auth/scope";
import { getPortalOrganization, listPortalKeys } from "@/lib/portal/queries";
import { formatInZone } from "@/lib/time";
import { StatusBadge } from "@/components/status-badge";
import { RotationBanner } from "./_components/rotation-banner";
import { RotationsSummary } from "./_components/rotations-summary";
import { CreateKeyForm } from "./_components/create-key-form";
import { ReportLeakForm } from "@/components/report-leak-form";
import { reportLeakedKeyAction } from "./actions";
import { CardTable } from "@/components/card-table";

export const metadata: Metadata = { title: "Your keys" };

export default async function PortalHome() {
  await connection();
  const viewer = await requirePagePermission("portal:use", "/portal");
  const { organizationId } = scopeOf(viewer);
  const org = await getPortalOrganization(organizationId!);
  if (!org) notFound();
  const now = new Date();
  const keys = await listPortalKeys(org.id, now);
  const rotating = keys.filter((k) => k.openRotation);
  const p = org.policy;
  const heldScopes = [...new Set(keys.filter((k) => k.status === "active" || k.status === "expiring").flatMap((k) => k.scopes))].sort();

  return (
    <>
      <div className="portal-head">
        <div>
          <h1>Your keys</h1>
          <p className="lede">
            <strong>{org.name}</strong> · dates in {org.timeZone}. Policy {p.name}: every key is replaced before it is {p.maxAgeDays} days old, with{" "}
            {p.gracePeriodHours} hours in which both keys work. You hear {p.noticeDays} days ahead
            {p.maxPostponements > 0 ? ` and may postpone up to ${p.maxPostponements} time(s) by ${p.postponeDays} days` : ""}.
          </p>
          <PolicyException reason={p.exceptionReason ?? null} />
        </div>
      </div>

      {keys
        .filter((k) => k.awaitingReplacement)
        .map((k) => (
          <section key={k.id} className="banner emergency" aria-label={`Replacement for ${k.prefix}`}>
            <p>
              <strong>
                {k.name} (<code>{k.prefix}…</code>) was revoked at once in an emergency
              </strong>
              {k.awaitingReplacement!.reason ? ` (${k.awaitingReplacement!.reason})` : ""}. It no longer works; its replacement is ready to reveal.
            </p>
            <div className="banner-actions">
              <Link className="button small" href={`/portal/keys/${k.id}`}>
                Get the replacement
              </Link>
            </div>
          </section>
        ))}
      {rotating.length > 2 ? (
        <RotationsSummary
          rows={rotating.map((k) => ({ keyId: k.id, keyPrefix: k.prefix, keyName: k.name, lastUsedAt: k.lastUsedAt, rotation: k.openRotation! }))}
          timeZone={org.timeZone}
          now={now}
        />
      ) : (
        rotating
          .sort((a, b) => (a.openRotation!.state === "grace" ? 0 : 1) - (b.openRotation!.state === "grace" ? 0 : 1))
          .map((k) => (
            <RotationBanner
              key={k.id}
              keyId={k.id}
              keyPrefix={k.prefix}
              keyName={k.name}
              lastUsedAt={k.lastUsedAt}
              rotation={k.openRotation!}
              timeZone={org.timeZone}
              now={now}
            />
          ))
      )}

      {keys.length === 0 ? (
        <div className="card empty">
          <p>Your organization has no keys yet.</p>
          <p className="sub">{p.customersManageKeys ? "Create one below." : "The API company issues them; ask your account contact."}</p>
        </div>
      ) : (
        <div className="table-wrap">
          <CardTable>
            <caption className="sr-only">Your organization&apos;s keys</caption>
            <thead>
              <tr>
                <th>Key</th>
                <th>Environment</th>
                <th>Scopes</th>
                <th className="num">Age</th>
                <th>Last used</th>
                <th>Next rotation</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>
                    <Link href={`/portal/keys/${k.id}`}>
                      <code>{k.prefix}…</code>
                    </Link>
                    <div className="sub">{k.name}</div>
                  </td>
                  <td>{k.environment}</td>
                  <td>{k.scopes.length ? k.scopes.join(", ") : <span className="sub">none</span>}</td>
                  <td className="num">{differenceInCalendarDays(now, k.createdAt)} d</td>
                  <td>{k.lastUsedAt ? `${formatDistanceStrict(k.lastUsedAt, now)} ago` : <span className="sub">never</span>}</td>
                  <td>
                    {k.openRotation?.state === "grace" ? (
                      <span>under way</span>
                    ) : k.nextRotationAt ? (
                      <span title={formatInZone(k.nextRotationAt, org.timeZone)}>
                        {k.nextRotationAt <= now ? "due now" : formatInZone(k.nextRotationAt, org.timeZone).replace(/,? \d\d:\d\d.*$/, "")}
                        {k.openRotation?.state === "scheduled" ? <span className="sub"> · scheduled</span> : null}
                      </span>
                    ) : (
                      <span className="sub">—</span>
                    )}
                  </td>
                  <td>
                    <StatusBadge value={k.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </CardTable>
        </div>
      )}

      {p.customersManageKeys && (
        <section className="card" aria-label="Create a key" style={{ marginTop: "1rem" }}>
          <h2>Create a key</h2>
          <CreateKeyForm scopes={heldScopes} email={viewer.email} />
        </section>
      )}
      <div style={{ marginTop: "1rem" }}>
        <ReportLeakForm report={reportLeakedKeyAction} who="customer" />
      </div>
    </>
  );
}
