import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { listManagementTokens } from "@/lib/auth/management-tokens";
import { CreateTokenForm, RevokeTokenButton } from "./_components/token-forms";
import { CardTable } from "@/components/card-table";

export const metadata: Metadata = { title: "API tokens" };

export default async function TokensPage() {
  await connection();
  await requirePagePermission("tokens:manage", "/dashboard/tokens");
  const tokens = await listManagementTokens();
  const now = new Date();
  return (
    <>
      <h1>Management API tokens</h1>
      <p className="lede">
        Bearer tokens for your automation to call the management API (<a href="/docs/api">reference</a>). A token is shown once, when it is created; rekey keeps
        only its hash.
      </p>
      <section className="card">
        <CreateTokenForm />
      </section>
      <div className="table-wrap" style={{ marginTop: "1rem" }}>
        {tokens.length === 0 ? (
          <p className="empty">No tokens yet.</p>
        ) : (
          <CardTable>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>
                    {t.name} {t.revokedAt && <span className="badge revoked">revoked</span>}
                  </td>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td className="sub">{formatDistanceStrict(t.createdAt, now)} ago</td>
                  <td className="sub">{t.lastUsedAt ? `${formatDistanceStrict(t.lastUsedAt, now)} ago` : "never"}</td>
                  <td>{!t.revokedAt && <RevokeTokenButton tokenId={t.id} name={t.name} />}</td>
                </tr>
              ))}
            </tbody>
          </CardTable>
        )}
      </div>
    </>
  );
}
