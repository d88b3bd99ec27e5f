"use client";

import { useState, useTransition } from "react";
import { ActionToast, useServerAction } from "@/components/action-status";
import type { ActionResult } from "@/lib/http/server-action";
import type { PolicyImpact } from "@/lib/policies/impact";
import { assignPolicyAction, previewPolicyAssignmentAction } from "../actions";

export interface PolicySelectProps {
  organizationId: string;
  current: string | null;
  policies: { id: string; name: string; isDefault: boolean }[];
}

const keys = (n: number) => `${n.toLocaleString("en")} key${n === 1 ? "" : "s"}`;

/**
 * Chooses the organization's rotation policy (empty: the default one). A
 * choice is previewed first — how many keys become past max age, how many
 * the cron will rotate and email about — and applied only on confirmation.
 */
export function PolicySelect({ organizationId, current, policies }: PolicySelectProps) {
  const { pending, result, run } = useServerAction();
  const [choice, setChoice] = useState(current ?? "");
  const [preview, setPreview] = useState<ActionResult<PolicyImpact> | null>(null);
  const [previewing, startPreview] = useTransition();
  const reset = () => {
    setChoice(current ?? "");
    setPreview(null);
  };
  const impact = preview?.ok ? preview.data : undefined;
  return (
    <div className="form">
      <label>
        Change policy
        <select
          value={choice}
          disabled={pending || previewing}
          onChange={(e) => {
            const policyId = e.target.value;
            setChoice(policyId);
            if (policyId === (current ?? "")) return setPreview(null);
            startPreview(async () => setPreview(await previewPolicyAssignmentAction({ organizationId, policyId })));
          }}
        >
          <option value="">the default policy</option>
          {policies
            .filter((p) => !p.isDefault)
            .map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
        </select>
      </label>
      {previewing && (
        <p className="sub" role="status">
          Working out what this changes…
        </p>
      )}
      {preview && !preview.ok && <ActionToast result={preview} />}
      {impact && (
        <section className="impact" aria-label="What this change does">
          <p>
            <strong>
              From {impact.from.name} ({impact.from.maxAgeDays} days) to {impact.to.name} ({impact.to.maxAgeDays} days)
            </strong>
            , for this organization&apos;s {keys(impact.keysInUse)} in use:
          </p>
          <ul>
            <li>
              past max age: {keys(impact.overdueNow)} now, <strong>{keys(impact.overdueAfter)}</strong> after the change
            </li>
            <li>
              the next cron run schedules a rotation for <strong>{keys(impact.scheduledByCron)}</strong>
              {impact.scheduledByCron > 0 && ` and emails a notice for each to ${impact.contacts} contact${impact.contacts === 1 ? "" : "s"}`}
              {impact.startAtOnce > 0 && `; ${keys(impact.startAtOnce)} start rotating at once (${impact.to.gracePeriodHours} hours of grace)`}
            </li>
          </ul>
          <div className="actions">
            <button
              type="button"
              className="button"
              disabled={pending}
              onClick={() =>
                run(
                  () => assignPolicyAction({ organizationId, policyId: choice }),
                  () => setPreview(null),
                )
              }
            >
              Apply {impact.to.name}
            </button>
            <button type="button" className="button secondary" disabled={pending} onClick={reset}>
              Keep {impact.from.name}
            </button>
          </div>
        </section>
      )}
      <ActionToast result={result} />
    </div>
  );
}
