import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { hashVersionOverview } from "@/lib/keys/hash-versions";
import { hashVersionLingerDays } from "@/lib/secret";
import { mfaSecretsByDataSecret } from "@/lib/auth/mfa";
import { webhookSecretsByDataSecret } from "@/lib/webhooks/queries";
import { listCheckpointKeys } from "@/lib/audit/checkpoints";
import { journalStatus } from "@/lib/backup/journal";
import { backupStatus } from "@/lib/backup/schedule";
import { CardTable } from "@/components/card-table";

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
  const [mfa, checkpointKeys, webhookSecrets] = await Promise.all([mfaSecretsByDataSecret(), listCheckpointKeys(), webhookSecretsByDataSecret()]);
  const journal = journalStatus();
  const backups = backupStatus();
  return (
    <>
      <h1>Secrets</h1>
      <p className="lede">
        Keys and management tokens are stored as a keyed hash under a versioned hashing secret. New ones use the current version; one stored under an older
        version still works and moves to the current version at its next successful verification. An old version may be removed from the configuration once
        nothing in use is left on it: removing it refuses exactly the keys and tokens still on it.
      </p>
      {lingering.length > 0 && (
        <p className="notice" role="status">
          {lingering
            .map(
              (r) =>
                `Version ${r.version}: ${r.keysInUse} key(s) in use and ${r.tokensInUse} token(s) still on it${r.configured ? "" : ", and it is no longer configured, so they are refused"}.`,
            )
            .join(" ")}{" "}
          An alert is raised when an old version still holds keys in use {lingerDays} days after the current one became current (REKEY_SECRET_LINGER_DAYS).
        </p>
      )}
      <div className="table-wrap">
        <CardTable>
          <caption className="sub" style={{ textAlign: "left", padding: "0.6rem 0.9rem" }}>
            Hashing secret versions (current: {current}
            {currentSince ? `, since ${formatDistanceStrict(currentSince, now)} ago` : ", recorded at the next cron call"})
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col" className="num">
                Keys in use
              </th>
              <th scope="col" className="num">
                All keys
              </th>
              <th scope="col" className="num">
                Tokens in use
              </th>
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
        </CardTable>
      </div>
      <h2>Multi-factor secrets</h2>
      <p className="sub">
        Staff authenticator seeds are sealed under the data secret (REKEY_DATA_SECRET), recovery codes hashed under it. During a rotation the previous secret
        goes in REKEY_DATA_SECRET_PREVIOUS: seeds under it still open and are sealed again under the current one at their owner&apos;s next sign-in; recovery
        codes made under it keep working. Remove the previous secret once nothing is left on it.
      </p>
      <dl className="facts">
        <dt>Under the current data secret</dt>
        <dd>{mfa.current}</dd>
        <dt>Under a previous one (moves at next sign-in)</dt>
        <dd>{mfa.previous}</dd>
        {mfa.unreadable > 0 && (
          <>
            <dt>Under a secret no longer configured</dt>
            <dd className="bad-text">{mfa.unreadable}: these people cannot use their app; reset their multi-factor sign-in on Users</dd>
          </>
        )}
      </dl>
      <h2>Webhook signing secrets</h2>
      <p className="sub">
        Each webhook endpoint has its own signing secret (whsec_…), rotated on its page with 24 hours in which both sign. They are sealed under the data secret
        too; after a rotation of REKEY_DATA_SECRET the cron seals them again under the current one within a minute.
      </p>
      <dl className="facts">
        <dt>Under the current data secret</dt>
        <dd>{webhookSecrets.current}</dd>
        <dt>Under a previous one (moves at the next cron call)</dt>
        <dd>{webhookSecrets.previous}</dd>
        {webhookSecrets.unreadable > 0 && (
          <>
            <dt>Under a secret no longer configured</dt>
            <dd className="bad-text">{webhookSecrets.unreadable}: those endpoints cannot be signed for; rotate their secret on Webhooks</dd>
          </>
        )}
      </dl>
      <h2>Audit checkpoints</h2>
      <p className="sub">
        The audit chain&apos;s head is signed with an Ed25519 key (REKEY_CHECKPOINT_KEY). A new key signs from the next checkpoint on; every key that ever
        signed stays published at /.well-known/rekey-checkpoint-keys.json, so older checkpoints still verify.
      </p>
      <dl className="facts">
        {checkpointKeys.length === 0 ? (
          <>
            <dt>Keys</dt>
            <dd>none has signed yet</dd>
          </>
        ) : (
          checkpointKeys.map((k) => (
            <div key={k.keyId} style={{ display: "contents" }}>
              <dt>
                <code>{k.keyId}</code>
              </dt>
              <dd>{k.current ? "current" : "previous: still published"}</dd>
            </div>
          ))
        )}
      </dl>
      <h2>Backups and the revocation journal</h2>
      <p className="sub">
        A restored backup re-applies every revocation in the journal, which lives outside the database, so no revoked key comes back (README, &ldquo;Backups and
        restore&rdquo;).
      </p>
      <dl className="facts">
        <dt>Revocation journal</dt>
        <dd>
          <code>{journal.file}</code>: {journal.entries.toLocaleString("en")} revoked key(s)
          {journal.writtenAt ? `, last written ${formatDistanceStrict(journal.writtenAt, now)} ago` : ", not written yet"}
        </dd>
        <dt>Scheduled backups</dt>
        <dd>
          {backups.everyHours > 0
            ? `every ${backups.everyHours} hours into ${backups.dir} (${backups.kept} kept)`
            : "off (REKEY_BACKUP_EVERY_HOURS): npm run backup, or the platform's own"}
        </dd>
        <dt>Newest backup</dt>
        <dd>
          {backups.newest
            ? `${backups.newest.name}, ${(backups.newest.bytes / 1e6).toFixed(1)} MB, ${formatDistanceStrict(backups.newest.at, now)} ago`
            : "none yet"}
        </dd>
      </dl>
      <h2>Sessions</h2>
      <p className="sub">
        Session cookies are signed with their own secret (NEXTAUTH_SECRET, or the embedded database&apos;s generated one), not with a hashing secret. How to
        rotate each: the README, &ldquo;Rotating rekey&apos;s own secrets&rdquo;.
      </p>
    </>
  );
}
