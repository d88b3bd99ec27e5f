import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { hashVersionOverview } from "@/lib/keys/hash-versions";
import { hashVersionLingerDays } from "@/lib/secret";

export const metadata: Metadata = { title: "Secrets" };

/**
 * Where the keys stand between hashing secret versions: what retiring an old
 * version would refuse. Numbers only; no secret is ever read into a page.
 */
export default async function SecretsPage() {
  await connection();
  await requirePagePermission("staff:read", "/dashboard/secrets");
  const { current, rows } = await hashVersionOverview();
  const lingerDays = hashVersionLingerDays();
  const now = new Date();
  const currentSince = rows.find((r) => r.current)?.currentSince ?? null;
  const lingering = rows.filter((r) => !r.current && !r.retirable);
  return (
    <>
      <h1>Secrets</h1>
      <p className="lede">
        Keys and management tokens are stored as a keyed hash under a versioned hashing secret. New ones use the current version; one stored under an
        older version still works and moves to the current version at its next successful verification. An old version may be removed from the
        configuration once nothing in use is left on it: removing it refuses exactly the keys and tokens still on it.
      </p>
      {lingering.length > 0 && (
        <p className="notice" role="status">
          {lingering.map((r) => `Version ${r.version}: ${r.keysInUse} key(s) in use and ${r.tokensInUse} token(s) still on it${r.configured ? "" : ", and it is no longer configured, so they are refused"}.`).join(" ")}{" "}
          An alert is raised when an old version still holds keys in use {lingerDays} days after the current one became current (REKEY_SECRET_LINGER_DAYS).
        </p>
      )}
      <div className="table-wrap">
        <table>
          <caption className="sub" style={{ textAlign: "left", padding: "0.6rem 0.9rem" }}>
            Hashing secret versions (current: {current}
            {currentSince ? `, since ${formatDistanceStrict(currentSince, now)} ago` : ", recorded at the next cron call"})
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col" className="num">Keys in use</th>
              <th scope="col" className="num">All keys</th>
              <th scope="col" className="num">Tokens in use</th>
              <th scope="col">Became current</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.version}>
                <td>{r.version}</td>
                <td>
                  {r.current ? (
                    <span className="badge active">current</span>
                  ) : !r.configured ? (
                    <span className="badge revoked">removed: refused</span>
                  ) : r.retirable ? (
                    <span className="badge neutral">may be retired</span>
                  ) : (
                    <span className="badge expiring">previous: still in use</span>
                  )}
                </td>
                <td className="num">{r.keysInUse.toLocaleString("en")}</td>
                <td className="num">{r.keys.toLocaleString("en")}</td>
                <td className="num">{r.tokensInUse.toLocaleString("en")}</td>
                <td className="sub">{r.currentSince ? `${formatDistanceStrict(r.currentSince, now)} ago` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Sessions</h2>
      <p className="sub">
        Session cookies are signed with their own secret (NEXTAUTH_SECRET, or the embedded database&apos;s generated one), not with a hashing secret.
        How to rotate each: the README, &ldquo;Rotating rekey&apos;s own secrets&rdquo;.
      </p>
    </>
  );
}
