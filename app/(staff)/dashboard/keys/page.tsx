import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { differenceInCalendarDays, formatDistanceStrict } from "date-fns";
import { listKeys, type KeyStatusFilter } from "@/lib/keys/queries";
import { StatusBadge } from "@/components/status-badge";
import { requirePagePermission } from "@/lib/auth/authorize";

export const metadata: Metadata = { title: "Keys" };

const FILTERS: { label: string; value?: KeyStatusFilter }[] = [
  { label: "All" },
  { label: "Active", value: "active" },
  { label: "In grace", value: "expiring" },
  { label: "Revoked", value: "revoked" },
];

type KeysPageProps = { searchParams: Promise<{ page?: string; status?: string }> };

function href(status: string | undefined, page: number) {
  const params = new URLSearchParams();
  if (status) params.set("status", status);
  if (page > 1) params.set("page", String(page));
  const q = params.toString();
  return `/dashboard/keys${q ? `?${q}` : ""}`;
}

const utc = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export default async function KeysPage({ searchParams }: KeysPageProps) {
  await connection();
  await requirePagePermission("staff:read", "/dashboard/keys");
  const params = await searchParams;
  const status = FILTERS.find((f) => f.value === params.status)?.value;
  const page = Math.max(1, Number.parseInt(params.page ?? "1", 10) || 1);
  const { keys, total, pageSize } = await listKeys({ page, status });
  const now = new Date();
  const pages = Math.max(1, Math.ceil(total / pageSize));

  return (
    <>
      <h1>Keys</h1>
      <p className="lede">Every API key, newest first: its age, status and any rotation under way.</p>
      <div className="toolbar">
        <nav className="filters" aria-label="Filter by status">
          {FILTERS.map((f) => (
            <Link key={f.label} className="chip" href={href(f.value, 1)} aria-current={f.value === status ? "page" : undefined}>
              {f.label}
            </Link>
          ))}
        </nav>
        <span className="sub">{total.toLocaleString("en")} keys</span>
      </div>
      <div className="table-wrap">
        {keys.length === 0 ? (
          <p className="empty">No keys{status ? ` with status ${status}` : ""} yet.</p>
        ) : (
          <table>
            <caption className="sr-only">
              API keys
            </caption>
            <thead>
              <tr>
                <th scope="col">Organization</th>
                <th scope="col">Key</th>
                <th scope="col">Env</th>
                <th scope="col" className="num">Age</th>
                <th scope="col">Status</th>
                <th scope="col">Rotation</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <td>{key.organization.name}</td>
                  <td>
                    <Link href={`/dashboard/keys/${key.id}`}>
                      <code>{key.prefix}…</code>
                    </Link>
                    <div className="sub">{key.name}</div>
                  </td>
                  <td>{key.environment}</td>
                  <td className="num">{differenceInCalendarDays(now, key.createdAt)} d</td>
                  <td>
                    <StatusBadge value={key.status} />
                  </td>
                  <td>
                    {key.openRotation ? (
                      <>
                        <StatusBadge value={key.openRotation.state} />{" "}
                        <span className="sub">
                          {key.openRotation.state === "scheduled"
                            ? `starts ${utc.format(key.openRotation.scheduledAt)} UTC`
                            : key.openRotation.graceEndsAt
                              ? `ends ${utc.format(key.openRotation.graceEndsAt)} UTC`
                              : ""}
                        </span>
                      </>
                    ) : (
                      <span className="sub">—</span>
                    )}
                  </td>
                  <td className="sub">{key.lastUsedAt ? `${formatDistanceStrict(key.lastUsedAt, now)} ago` : "never"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="pager">
        <span>
          Page {page} of {pages}
        </span>
        <span className="links">
          {page > 1 && (
            <Link className="chip" href={href(status, page - 1)}>
              ← Previous
            </Link>
          )}
          {page < pages && (
            <Link className="chip" href={href(status, page + 1)}>
              Next →
            </Link>
          )}
        </span>
      </div>
    </>
  );
}
