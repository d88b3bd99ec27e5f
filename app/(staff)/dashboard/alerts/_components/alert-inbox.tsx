"use client";

import Link from "next/link";
import { useState } from "react";
import { ActionToast, useServerAction } from "@/components/action-status";
import { RelativeTime } from "@/components/relative-time";
import type { ActionResult } from "@/lib/http/server-action";
import { acknowledgeAlertsAction, resolveAlertsAction, undoAcknowledgeAlertsAction } from "../actions";

export interface AlertRow {
  id: string;
  kind: string;
  severity: string;
  status: string;
  message: string;
  createdAt: string;
  keyId: string | null;
  keyPrefix: string | null;
  organization: string | null;
}

export interface AlertInboxProps {
  rows: AlertRow[];
  now: string;
  /** Admins and operators; auditors get no checkboxes and no buttons (the server refuses them too). */
  canAct: boolean;
  /** How many alerts match the filter (all pages). */
  total: number;
  filter: { state: "open" | "acknowledged" | "resolved"; kind?: string; severity?: string; organizationId?: string };
  /** Shown instead of the table when no alert matches. */
  empty: string;
}

type Undo = { alertIds: string[]; at: string };

/** The inbox's table with selection and bulk acknowledge/resolve, and the undo of the last bulk acknowledgement. */
export function AlertInbox({ rows, now, canAct, total, filter, empty }: AlertInboxProps) {
  const { pending, result, run, setResult } = useServerAction<Undo | undefined>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [undo, setUndo] = useState<Undo | null>(null);
  const [confirmAll, setConfirmAll] = useState<"acknowledge" | "resolve" | null>(null);
  const visible = new Set(rows.map((r) => r.id));
  const chosen = [...selected].filter((id) => visible.has(id));
  const allChosen = rows.length > 0 && chosen.length === rows.length;
  const canAcknowledge = filter.state === "open";
  const canResolve = filter.state !== "resolved";

  function toggle(id: string) {
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  function acknowledge(input: unknown) {
    setConfirmAll(null);
    run(
      () => acknowledgeAlertsAction(input) as Promise<ActionResult<Undo | undefined>>,
      (done) => {
        setSelected(new Set());
        setUndo(done.data?.alertIds.length ? done.data : null);
      },
    );
  }
  function resolve(input: unknown) {
    setConfirmAll(null);
    setUndo(null);
    run(
      () => resolveAlertsAction(input) as Promise<ActionResult<Undo | undefined>>,
      () => setSelected(new Set()),
    );
  }

  return (
    <>
      {canAct && (canAcknowledge || canResolve) && rows.length > 0 && (
        <div className="bulk-bar" role="group" aria-label="Bulk actions">
          <span className="sub">{chosen.length ? `${chosen.length} selected` : "Select alerts, or act on all matching"}</span>
          {canAcknowledge && (
            <button type="button" className="button secondary small" disabled={pending || !chosen.length} onClick={() => acknowledge({ alertIds: chosen })}>
              Acknowledge selected
            </button>
          )}
          {canResolve && (
            <button type="button" className="button secondary small" disabled={pending || !chosen.length} onClick={() => resolve({ alertIds: chosen })}>
              Resolve selected
            </button>
          )}
          {confirmAll ? (
            <span className="confirm">
              {confirmAll === "acknowledge" ? "Acknowledge" : "Resolve"} all {total.toLocaleString("en")} matching alerts?
              <button
                type="button"
                className="button small"
                disabled={pending}
                onClick={() => (confirmAll === "acknowledge" ? acknowledge({ filter }) : resolve({ filter }))}
              >
                Yes, {confirmAll} {total.toLocaleString("en")}
              </button>
              <button type="button" className="button secondary small" onClick={() => setConfirmAll(null)}>
                Cancel
              </button>
            </span>
          ) : (
            <>
              {canAcknowledge && (
                <button type="button" className="button secondary small" disabled={pending} onClick={() => setConfirmAll("acknowledge")}>
                  Acknowledge all {total.toLocaleString("en")} matching…
                </button>
              )}
              {canResolve && (
                <button type="button" className="button secondary small" disabled={pending} onClick={() => setConfirmAll("resolve")}>
                  Resolve all {total.toLocaleString("en")} matching…
                </button>
              )}
            </>
          )}
        </div>
      )}
      <ActionToast result={result}>
        {undo && (
          <button
            type="button"
            className="button secondary small undo"
            disabled={pending}
            onClick={() => {
              const last = undo;
              setUndo(null);
              setResult(null);
              run(() => undoAcknowledgeAlertsAction(last) as Promise<ActionResult<Undo | undefined>>);
            }}
          >
            Undo
          </button>
        )}
      </ActionToast>
      {rows.length === 0 ? (
        <div className="table-wrap">
          <p className="empty">{empty}</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Alerts</caption>
            <thead>
              <tr>
                {canAct && (
                  <th scope="col" className="select">
                    <input
                      type="checkbox"
                      aria-label="Select every alert on this page"
                      checked={allChosen}
                      onChange={() => setSelected(allChosen ? new Set() : new Set(rows.map((r) => r.id)))}
                    />
                  </th>
                )}
                <th scope="col">Severity</th>
                <th scope="col">Alert</th>
                <th scope="col">Key</th>
                <th scope="col">Raised</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  {canAct && (
                    <td className="select" data-label="Select">
                      <input type="checkbox" aria-label={`Select: ${a.message}`} checked={selected.has(a.id)} onChange={() => toggle(a.id)} />
                    </td>
                  )}
                  <td data-label="Severity">
                    <span className={`badge ${a.severity === "critical" ? "revoked" : "expiring"}`}>{a.severity}</span>
                  </td>
                  <td className="wrap" data-label="Alert">
                    {a.message}
                    <div className="sub">{a.kind.replaceAll("_", " ")}</div>
                  </td>
                  <td data-label="Key">
                    {a.keyId && a.keyPrefix ? (
                      <>
                        <Link href={`/dashboard/keys/${a.keyId}`}>
                          <code>{a.keyPrefix}…</code>
                        </Link>
                        {a.organization && <div className="sub">{a.organization}</div>}
                      </>
                    ) : (
                      <span className="sub">{a.organization ?? "—"}</span>
                    )}
                  </td>
                  <td className="sub" data-label="Raised">
                    <RelativeTime at={a.createdAt} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
