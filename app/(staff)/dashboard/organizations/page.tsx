import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { listOrganizations } from "@/lib/organizations/queries";
import { PolicyException } from "@/components/policy-exception";
import { CardTable } from "@/components/card-table";

export const metadata: Metadata = { title: "Organizations" };

export default async function OrganizationsPage() {
  await connection();
  await requirePagePermission("staff:read", "/dashboard/organizations");
  const orgs = await listOrganizations(new Date());
  return (
    <>
      <h1>Organizations</h1>
      <p className="lede">Your customers, their rotation policy and how many of their keys are past it.</p>
      <div className="table-wrap">
        {orgs.length === 0 ? (
          <p className="empty">No organizations yet. Create one with the management API (POST /api/v1/organizations).</p>
        ) : (
          <CardTable>
            <thead>
              <tr>
                <th scope="col">Organization</th>
                <th scope="col">Policy</th>
                <th scope="col">Contacts</th>
                <th scope="col" className="num">
                  Keys in use
                </th>
                <th scope="col" className="num">
                  Past max age
                </th>
              </tr>
            </thead>
            <tbody>
              {orgs.map((o) => (
                <tr key={o.id}>
                  <td>
                    <Link href={`/dashboard/organizations/${o.id}`}>{o.name}</Link>
                    <div className="sub">{o.timeZone}</div>
                  </td>
                  <td>
                    {o.policy?.name ?? <span className="sub">default</span>}
                    <PolicyException reason={o.exceptionReason} />
                  </td>
                  <td className="sub">{o.contactEmails.join(", ") || "none"}</td>
                  <td className="num">
                    <Link href={`/dashboard/keys?org=${o.id}`}>{o.keysInUse.toLocaleString("en")}</Link>
                  </td>
                  <td className="num">
                    {o.overdue ? (
                      <Link href={`/dashboard/keys?org=${o.id}&overdue=1`} className="bad-link">
                        {o.overdue.toLocaleString("en")}
                      </Link>
                    ) : (
                      0
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </CardTable>
        )}
      </div>
    </>
  );
}
