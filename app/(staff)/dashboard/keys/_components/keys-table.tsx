"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { StatusBadge } from "@/components/status-badge";
import { Countdown } from "@/components/countdown";
import { formatStaffTime } from "@/lib/time";

export interface KeyRow {
  id: string;
  prefix: string;
  name: string;
  environment: string;
  status: string;
  ageDays: number;
  maxAgeDays: number;
  organization: string;
  rotationState: string | null;
  scheduledAt: string | null;
  graceEndsAt: string | null;
  lastUsed: string;
}

export interface KeysTableProps {
  rows: KeyRow[];
  sort: string;
  dir: "asc" | "desc";
}

const column = createColumnHelper<KeyRow>();

const columns = [
  column.accessor("organization", { header: "Organization", meta: { sort: "organization" } }),
  column.accessor("prefix", {
    header: "Key",
    cell: (c) => (
      <>
        <Link href={`/dashboard/keys/${c.row.original.id}`}>
          <code>{c.getValue()}…</code>
        </Link>
        <div className="sub">{c.row.original.name}</div>
      </>
    ),
  }),
  column.accessor("environment", { header: "Env" }),
  column.accessor("ageDays", {
    header: "Age",
    // Sorted by creation time: oldest first (dir=asc) is the largest age first, so the age column reads descending.
    meta: { sort: "age", numeric: true, inverted: true },
    cell: (c) => `${c.getValue()} d`,
  }),
  column.display({
    id: "compliance",
    header: "Compliance",
    cell: (c) => {
      const r = c.row.original;
      if (r.status !== "active" && r.status !== "expiring") return <span className="sub">—</span>;
      return r.ageDays > r.maxAgeDays ? (
        <span className="badge revoked" title={`max age ${r.maxAgeDays} days`}>
          overdue
        </span>
      ) : (
        <span className="badge active" title={`max age ${r.maxAgeDays} days`}>
          ok
        </span>
      );
    },
  }),
  column.accessor("status", { header: "Status", meta: { sort: "status" }, cell: (c) => <StatusBadge value={c.getValue()} /> }),
  column.display({
    id: "rotation",
    header: "Rotation / deadline",
    meta: { sort: "deadline" },
    cell: (c) => {
      const r = c.row.original;
      if (!r.rotationState) return <span className="sub">—</span>;
      const at = r.rotationState === "scheduled" ? r.scheduledAt : r.graceEndsAt;
      return (
        <>
          <StatusBadge value={r.rotationState} />{" "}
          {at && (
            <span className="sub" title={formatStaffTime(new Date(at))}>
              {r.rotationState === "scheduled" ? "starts" : "ends"} <Countdown to={at} />
            </span>
          )}
        </>
      );
    },
  }),
  column.accessor("lastUsed", { header: "Last used", meta: { sort: "lastUsed" }, cell: (c) => <span className="sub">{c.getValue()}</span> }),
];

/** The keys table: rows are a server-sorted, server-filtered page; a header click changes the URL. */
export function KeysTable({ rows, sort, dir }: KeysTableProps) {
  const router = useRouter();
  const params = useSearchParams();
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel(), manualSorting: true, manualPagination: true, manualFiltering: true });

  function sortBy(key: string) {
    const next = new URLSearchParams(params.toString());
    const nextDir =
      sort === key ? (dir === "asc" ? "desc" : "asc") : key === "age" || key === "organization" || key === "deadline" || key === "status" ? "asc" : "desc";
    next.set("sort", key);
    next.set("dir", nextDir);
    next.delete("page");
    router.push(`?${next.toString()}`);
  }

  return (
    // Cards on a phone (globals.css): each cell's label is its column's header, here from the first render.
    <table>
      <caption className="sr-only">API keys</caption>
      <thead>
        {table.getHeaderGroups().map((group) => (
          <tr key={group.id}>
            {group.headers.map((header) => {
              const meta = header.column.columnDef.meta as { sort?: string; numeric?: boolean; inverted?: boolean } | undefined;
              const active = meta?.sort === sort;
              // What the column's own values do: ascending or descending as read down the column.
              const ascending = (dir === "asc") !== !!meta?.inverted;
              return (
                <th
                  key={header.id}
                  scope="col"
                  className={meta?.numeric ? "num" : undefined}
                  aria-sort={active ? (ascending ? "ascending" : "descending") : undefined}
                >
                  {meta?.sort ? (
                    <button type="button" className="sort-button" onClick={() => sortBy(meta.sort!)}>
                      {flexRender(header.column.columnDef.header, header.getContext())}
                      <span aria-hidden="true">{active ? (ascending ? " ▲" : " ▼") : ""}</span>
                    </button>
                  ) : (
                    flexRender(header.column.columnDef.header, header.getContext())
                  )}
                </th>
              );
            })}
          </tr>
        ))}
      </thead>
      <tbody>
        {table.getRowModel().rows.map((row) => (
          <tr key={row.id}>
            {row.getVisibleCells().map((cell) => {
              const meta = cell.column.columnDef.meta as { numeric?: boolean } | undefined;
              return (
                <td
                  key={cell.id}
                  className={meta?.numeric ? "num" : undefined}
                  data-label={typeof cell.column.columnDef.header === "string" ? cell.column.columnDef.header : undefined}
                >
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
