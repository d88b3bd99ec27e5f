import Link from "next/link";
import { connection } from "next/server";
import { getKeyStats } from "@/lib/keys/stats";
import { getViewer } from "@/lib/auth/viewer";
import { roleMay } from "@/lib/auth/permissions";

export default async function HomePage() {
  await connection();
  const viewer = await getViewer();
  const isStaff = viewer ? roleMay(viewer.role, "staff:read") : false;
  const stats = isStaff ? await getKeyStats() : null;
  const figures = !stats
    ? []
    : [
        { label: "Organizations", value: stats.organizations },
        { label: "Active keys", value: stats.active },
        { label: "Expiring keys", value: stats.expiring },
        { label: "Rotations scheduled", value: stats.scheduledRotations },
      ];
  return (
    <>
      <section className="hero">
        <h1>No API key lives forever.</h1>
        <p className="lede">
          rekey issues your customers&apos; API keys and rotates them on schedule or in an emergency, with an overlap: the old and the new key both work until a
          grace deadline, so no client goes down. Customers are told by email and fetch their new key themselves; auditors get proof that every key was rotated
          in time.
        </p>
        {viewer?.role === "customer" && (
          <p className="notice" role="status">
            You are signed in as <strong>{viewer.email}</strong>. Your keys, any rotation under way and your new keys are in{" "}
            <Link href="/portal">your portal</Link>.
          </p>
        )}
        <div className="actions">
          {isStaff ? (
            <>
              <Link className="button" href="/dashboard/keys">
                See all keys
              </Link>
              {viewer && roleMay(viewer.role, "reports:download") && (
                <Link className="button secondary" href="/dashboard/reports">
                  Compliance reports
                </Link>
              )}
            </>
          ) : viewer?.role === "customer" ? (
            <Link className="button" href="/portal">
              Your keys
            </Link>
          ) : viewer ? null : (
            <Link className="button" href="/signin">
              Sign in
            </Link>
          )}
          <a className="button secondary" href="/docs/api">
            API reference
          </a>
        </div>
      </section>
      {stats && (
        <section aria-label="At a glance" className="cards">
          {figures.map((f) => (
            <div className="card" key={f.label}>
              <div className="figure">{f.value.toLocaleString("en")}</div>
              <div className="label">{f.label}</div>
            </div>
          ))}
        </section>
      )}
      <h2>How a rotation works</h2>
      <div className="features">
        <div className="card">
          <h3>1. Scheduled or emergency</h3>
          <p>By policy before a key reaches its maximum age, by hand, or at once when a key leaks.</p>
        </div>
        <div className="card">
          <h3>2. Grace</h3>
          <p>Both keys verify. The old one answers as deprecated, with its deadline and the successor&apos;s prefix.</p>
        </div>
        <div className="card">
          <h3>3. Completed</h3>
          <p>At the deadline the old key is revoked. Every step is in a hash-chained audit trail.</p>
        </div>
      </div>
    </>
  );
}
