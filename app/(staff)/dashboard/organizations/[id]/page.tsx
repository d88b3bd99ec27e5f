import Link from "next/link";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { getOrganization } from "@/lib/organizations/queries";
import { getEffectivePolicy, listPolicies } from "@/lib/policies/queries";
import { roleMay } from "@/lib/auth/permissions";
import { PolicyException } from "@/components/policy-exception";
import { PolicySelect } from "./_components/policy-select";
import { getPrisma } from "@/lib/db";
import { StatusBadge } from "@/components/status-badge";

export const metadata: Metadata = { title: "Organization" };

export default async function OrganizationPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const { id } = await params;
  const viewer = await requirePagePermission("staff:read", `/dashboard/organizations/${id}`);
  const org = await getOrganization(id);
  if (!org) notFound();
  const policy = await getEffectivePolicy(await getPrisma(), org.id);
  const canEdit = roleMay(viewer.role, "policies:edit");
  const policies = canEdit ? await listPolicies() : [];
  return (
    <>
      <p className="crumbs">
        <Link href="/dashboard/organizations">Organizations</Link> / {org.name}
      </p>
      <h1>{org.name}</h1>
      <div className="detail-grid">
        <section className="card" aria-label="Contacts">
          <h2 style={{ marginTop: 0 }}>Contacts</h2>
          {org.contactEmails.length ? (
            <ul className="plain">
              {org.contactEmails.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          ) : (
            <p className="sub">No contacts: rotation notices cannot be sent.</p>
          )}
          <p className="sub">Time zone: {org.timeZone}</p>
        </section>
        <section className="card" aria-label="Policy">
          <h2 style={{ marginTop: 0 }}>Policy: {policy.name}</h2>
          <PolicyException reason={policy.exceptionReason} />
          <dl className="facts">
            <dt>Max key age</dt>
            <dd>{policy.maxAgeDays} days</dd>
            <dt>Grace period</dt>
            <dd>{policy.gracePeriodHours} hours</dd>
            <dt>Emergency grace</dt>
            <dd>{policy.emergencyGraceHours} hours</dd>
            <dt>Notice</dt>
            <dd>{policy.noticeDays} days ahead</dd>
          </dl>
          {canEdit && (
            <PolicySelect organizationId={org.id} current={org.policyId} policies={policies.map((p) => ({ id: p.id, name: p.name, isDefault: p.isDefault }))} />
          )}
          <p className="sub">
            <Link href="/dashboard/policies">All policies</Link>
          </p>
        </section>
        <section className="card" aria-label="Keys">
          <h2 style={{ marginTop: 0 }}>Keys</h2>
          <dl className="facts">
            {["active", "expiring", "revoked", "expired"].map((s) => (
              <div key={s} style={{ display: "contents" }}>
                <dt>
                  <StatusBadge value={s} />
                </dt>
                <dd>
                  <Link href={`/dashboard/keys?org=${org.id}&status=${s}`}>{(org.keysByStatus[s] ?? 0).toLocaleString("en")}</Link>
                </dd>
              </div>
            ))}
          </dl>
          <p className="sub">
            <Link href={`/dashboard/keys?org=${org.id}&overdue=1`}>Keys past max age</Link>
          </p>
        </section>
      </div>
    </>
  );
}
