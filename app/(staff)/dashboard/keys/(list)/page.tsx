import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { redirect } from "next/navigation";
import { differenceInCalendarDays, formatDistanceStrict } from "date-fns";
import { listKeys, listOrganizationNames } from "@/lib/keys/queries";
import { keyListQuerySchema } from "@/lib/keys/schemas";
import { requirePagePermission } from "@/lib/auth/authorize";
import { roleMay } from "@/lib/auth/permissions";
import { readKeySearch, searchForUrl } from "@/lib/keys/search";
import { BulkSchedule } from "../_components/bulk-schedule";
import { countSchedulable } from "@/lib/rotations/bulk";
import { findKeyAction, reportLeakedKeyAction } from "../actions";
import { ReportLeakForm } from "@/components/report-leak-form";
import { KeysTable, type KeyRow } from "../_components/keys-table";

export const metadata: Metadata = { title: "Keys" };

type KeysPageProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const QUICK: { label: string; params: Record<string, string> }[] = [
  { label: "All", params: {} },
  { label: "Active", params: { status: "active" } },
  { label: "Expiring", params: { status: "expiring" } },
  { label: "Overdue", params: { overdue: "1" } },
  { label: "Revoked", params: { status: "revoked" } },
];

export default async function KeysPage({ searchParams }: KeysPageProps) {
  await connection();
  const viewer = await requirePagePermission("staff:read", "/dashboard/keys");
  const raw = await searchParams;
  const query = keyListQuerySchema.parse(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  // Only a prefix of a key may stand in a URL: one typed in by hand is cut to it.
  const search = searchForUrl(readKeySearch(query.q));
  if (query.q !== undefined && search !== query.q) {
    const kept = new URLSearchParams(Object.entries({ ...query, q: search, page: undefined }).filter((e): e is [string, string] => typeof e[1] === "string"));
    redirect(`/dashboard/keys${kept.size ? `?${kept}` : ""}`);
  }
  const now = new Date();
  // The bulk action works on filters, not on a search: with a search its count would not be what it schedules.
  const bulkFilters =
    roleMay(viewer.role, "keys:rotate") && !search && (query.overdue || query.org || query.status || query.environment)
      ? { status: query.status, environment: query.environment, organizationId: query.org, overdue: query.overdue === "1" }
      : null;
  const [{ keys, total, page, pageSize, sort, dir }, organizations, schedulable] = await Promise.all([
    listKeys(
      {
        status: query.status,
        environment: query.environment,
        organizationId: query.org,
        overdue: query.overdue === "1",
        q: search,
        sort: query.sort,
        dir: query.dir,
        page: query.page,
      },
      now,
    ),
    listOrganizationNames(),
    bulkFilters ? countSchedulable(bulkFilters, now) : 0,
  ]);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const current = new URLSearchParams(
    Object.entries(query)
      .filter(([k, v]) => v !== undefined && k !== "nokey")
      .map(([k, v]) => [k, String(v)]),
  );
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
      {roleMay(viewer.role, "keys:rotate") && <ReportLeakForm report={reportLeakedKeyAction} who="staff" />}
      <form className="search-form" role="search" action={findKeyAction} aria-label="Search keys">
        <label htmlFor="key-search">Find a key: paste it whole, or type a prefix, a key name or an organization</label>
        <span className="search-row">
          {/* autoComplete off: the browser must not keep a pasted key in its form history. */}
          <input
            id="key-search"
            name="q"
            type="search"
            defaultValue={search ?? ""}
            autoComplete="off"
            spellCheck={false}
            placeholder="rk_live_9Vq…, CI pipeline, Initech"
          />
          {query.status && <input type="hidden" name="status" value={query.status} />}
          {query.environment && <input type="hidden" name="environment" value={query.environment} />}
          {query.org && <input type="hidden" name="org" value={query.org} />}
          {query.overdue && <input type="hidden" name="overdue" value={query.overdue} />}
          {query.sort && <input type="hidden" name="sort" value={query.sort} />}
          {query.dir && <input type="hidden" name="dir" value={query.dir} />}
          <button className="button" type="submit">
            Search
          </button>
          {search && (
            <Link className="chip" href={withParams({ q: undefined, page: undefined })}>
              Clear search
            </Link>
          )}
        </span>
      </form>
      {query.nokey && (
        <p className="notice" role="status">
          No key matches the full key you pasted. {search ? <>Keys whose prefix starts like it are listed below.</> : null}
        </p>
      )}
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
            <option value="expiring">expiring (rotation in grace)</option>
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
        {search && <input type="hidden" name="q" value={search} />}
        {query.sort && <input type="hidden" name="sort" value={query.sort} />}
        {query.dir && <input type="hidden" name="dir" value={query.dir} />}
        <button className="button secondary" type="submit">
          Apply
        </button>
      </form>
      <div className="toolbar">
        <span className="sub">{total.toLocaleString("en")} keys</span>
        {sort === "attention" ? (
          <span className="sub" id="order-note">
            Needs attention first: past max age, then the soonest deadline, then the nearest to max age.
          </span>
        ) : (
          <Link className="chip" href={withParams({ sort: undefined, dir: undefined, page: undefined })}>
            Order by needs attention
          </Link>
        )}
        {bulkFilters && total > 0 && (
          <span className="bulk">
            <BulkSchedule total={total} schedulable={schedulable} filters={bulkFilters} />
          </span>
        )}
      </div>
      <div className="table-wrap">
        {rows.length === 0 ? (
          <p className="empty">{search ? `No keys match “${search}”.` : "No keys match these filters."}</p>
        ) : (
          <KeysTable rows={rows} sort={sort} dir={dir} />
        )}
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
