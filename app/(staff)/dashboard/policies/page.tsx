import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { roleMay } from "@/lib/auth/permissions";
import { listPolicies } from "@/lib/policies/queries";
import { PolicyException } from "@/components/policy-exception";
import { PolicyForm } from "./_components/policy-form";

export const metadata: Metadata = { title: "Policies" };

export default async function PoliciesPage() {
  await connection();
  const viewer = await requirePagePermission("staff:read", "/dashboard/policies");
  const policies = await listPolicies();
  const canEdit = roleMay(viewer.role, "policies:edit");
  return (
    <>
      <h1>Rotation policies</h1>
      <p className="lede">How old a key may get, how long both keys work during a rotation, and how far ahead customers are told.</p>
      {policies.length === 0 && <p className="empty card">No policies: every organization follows the defaults (90 days, 72 hours of grace).</p>}
      {policies.map((p) => (
        <section key={p.id} className="card policy-card" aria-label={p.name}>
          <h2>
            {p.name} {p.isDefault && <span className="badge neutral">default</span>}
          </h2>
          <p className="sub">
            Used by{" "}
            {p.organizations.length
              ? p.organizations.map((o, i) => (
                  <span key={o.id}>
                    {i > 0 && ", "}
                    <Link href={`/dashboard/organizations/${o.id}`}>{o.name}</Link>
                  </span>
                ))
              : "no organization"}
            .
          </p>
          <PolicyException reason={p.exceptionReason} />
          {canEdit ? (
            <PolicyForm policy={p} />
          ) : (
            <dl className="facts">
              <dt>Max key age</dt>
              <dd>{p.maxAgeDays} days</dd>
              <dt>Grace period</dt>
              <dd>{p.gracePeriodHours} hours</dd>
              <dt>Emergency grace</dt>
              <dd>{p.emergencyGraceHours} hours</dd>
              <dt>A key reported leaked</dt>
              <dd>{p.leakGraceHours === 0 ? "revoked at once" : `${p.leakGraceHours} hours of grace`}</dd>
              <dt>Notice</dt>
              <dd>{p.noticeDays} days</dd>
              <dt>Postponements</dt>
              <dd>
                {p.maxPostponements} × {p.postponeDays} days
              </dd>
              <dt>Wait for new key&apos;s use</dt>
              <dd>{p.waitForSuccessorUse ? "yes" : "no"}</dd>
              <dt>Customers manage keys</dt>
              <dd>{p.customersManageKeys ? "yes: issue and revoke in the portal" : "no"}</dd>
              <dt>Possible compromise</dt>
              <dd>{p.emergencyOnReuse ? "emergency-rotate at once" : "alert"}</dd>
              <dt>Agent confirmed</dt>
              <dd>{p.endGraceOnConfirmedUse ? "end the grace once the delivered key is used" : "keep the grace to its deadline"}</dd>
            </dl>
          )}
        </section>
      ))}
    </>
  );
}
