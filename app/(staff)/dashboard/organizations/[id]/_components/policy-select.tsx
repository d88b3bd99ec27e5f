"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import type { ActionResult } from "@/lib/http/server-action";
import { assignPolicyAction } from "../actions";

export interface PolicySelectProps {
  organizationId: string;
  current: string | null;
  policies: { id: string; name: string; isDefault: boolean }[];
}

/** Chooses the organization's rotation policy; empty means the default one. */
export function PolicySelect({ organizationId, current, policies }: PolicySelectProps) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult | null>(null);
  return (
    <div className="form">
      <label>
        Change policy
        <select
          defaultValue={current ?? ""}
          disabled={pending}
          onChange={(e) => {
            const policyId = e.target.value;
            start(async () => {
              const outcome = await assignPolicyAction({ organizationId, policyId });
              setResult(outcome);
              router.refresh();
            });
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
      <div role="status" aria-live="polite" className={result ? (result.ok ? "toast ok" : "toast bad") : "toast-empty"}>
        {result ? (result.ok ? result.message : result.error) : null}
      </div>
    </div>
  );
}
