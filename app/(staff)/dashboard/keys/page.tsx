import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { differenceInCalendarDays, formatDistanceStrict } from "date-fns";
import { listKeys, listOrganizationNames } from "@/lib/keys/queries";
import { keyListQuerySchema } from "@/lib/keys/schemas";
import { requirePagePermission } from "@/lib/auth/authorize";
import { roleMay } from "@/lib/auth/permissions";
import { BulkSchedule } from "./_components/bulk-schedule";
import { KeysTable, type KeyRow } from "./_components/keys-table";

export const metadata: Metadata = { title: "Keys" };

type KeysPageProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const QUICK: { label: string; params: Record<string, string> }[] = [
  { label: "All", params: {} },
  { label: "Active", params: { status: "active" } },
  { label: "In grace", params: { status: "expiring" } },
  { label: "Overdue", params: { overdue: "1" } },
  { label: "Revoked", params: { status: "revoked" } },
];

export default async function KeysPage({ searchParams }: KeysPageProps) {
  await connection();
  const viewer = await requirePagePermission("staff:read", "/dashboard/keys");
  const raw = await searchParams;
  const query = keyListQuerySchema.parse(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  const now = new Date();
  const [{ keys, total, page, pageSize, sort, dir }, organizations] = await Promise.all([
    listKeys({ status: query.status, environment: query.environment, organizationId: query.org, overdue: query.overdue === "1", sort: query.sort, dir: query.dir, page: query.page }, now),
    listOrganizationNames(),
  ]);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const current = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
  const withParams = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(current);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) next.delete(k);
      else next.set(k, v);
    }
    const q = next.toString();
    return `/dashboard/keys${q ? `?${q}` : ""}`;
  };
  const quickHref = (params: Record<string, string>) => {
    const q = new URLSearchParams(params).toString();
    return `/dashboard/keys${q ? `?${q}` : ""}`;
  };
  const isQuick = (params: Record<string, string>) =>
    [...current.keys()].filter((k) => k !== "page" && k !== "sort" && k !== "dir").length === Object.keys(params).length &&
    Object.entries(params).every(([k, v]) => current.get(k) === v);

  const rows: KeyRow[] = keys.map((k) => ({
    id: k.id,
    prefix: k.prefix,
    name: k.name,
    environment: k.environment,
    status: k.status,
    ageDays: differenceInCalendarDays(now, k.createdAt),
    maxAgeDays: k.maxAgeDays,
    organization: k.organization,
    rotationState: k.rotationState,
    scheduledAt: k.scheduledAt?.toISOString() ?? null,
    graceEndsAt: k.graceEndsAt?.toISOString() ?? null,
    lastUsed: k.lastUsedAt ? `${formatDistanceStrict(k.lastUsedAt, now)} ago` : "never",
  }));

  return (
    <>
      <h1>Keys</h1>
      <p className="lede">Every API key: its age against its policy, status, and any rotation under way.</p>
      <nav className="filters" aria-label="Quick filters">
        {QUICK.map((f) => (
          <Link key={f.label} className="chip" href={quickHref(f.params)} aria-current={isQuick(f.params) ? "page" : undefined}>
            {f.label}
          </Link>
        ))}
      </nav>
      <form className="filter-form" method="get" action="/dashboard/keys" aria-label="Filters">
        <label>
          Status
          <select name="status" defaultValue={query.status ?? ""}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="expiring">in grace (expiring)</option>
            <option value="revoked">revoked</option>
            <option value="expired">expired</option>
          </select>
        </label>
        <label>
          Organization
          <select name="org" defaultValue={query.org ?? ""}>
            <option value="">any</option>
            {organizations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Environment
          <select name="environment" defaultValue={query.environment ?? ""}>
            <option value="">any</option>
            <option value="live">live</option>
            <option value="test">test</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" name="overdue" value="1" defaultChecked={query.overdue === "1"} /> past max age only
        </label>
        {query.sort && <input type="hidden" name="sort" value={query.sort} />}
        {query.dir && <input type="hidden" name="dir" value={query.dir} />}
        <button className="button secondary" type="submit">
          Apply
        </button>
      </form>
      <div className="toolbar">
        <span className="sub">{total.toLocaleString("en")} keys</span>
        {roleMay(viewer.role, "keys:rotate") && total > 0 && (query.overdue || query.org || query.status || query.environment) && (
          <span className="bulk">
            <BulkSchedule
              total={total}
              filters={{ status: query.status, environment: query.environment, organizationId: query.org, overdue: query.overdue === "1" }}
            />
          </span>
        )}
      </div>
      <div className="table-wrap">
        {rows.length === 0 ? <p className="empty">No keys match these filters.</p> : <KeysTable rows={rows} sort={sort} dir={dir} />}
      </div>
      <div className="pager">
        <span>
          Page {page} of {pages}
        </span>
        <span className="links">
          {page > 1 && (
            <Link className="chip" href={withParams({ page: String(page - 1) })}>
              ← Previous
            </Link>
          )}
          {page < pages && (
            <Link className="chip" href={withParams({ page: String(page + 1) })}>
              Next →
            </Link>
          )}
        </span>
      </div>
    </>
  );
}
