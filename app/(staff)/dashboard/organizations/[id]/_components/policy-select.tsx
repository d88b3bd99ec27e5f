"use client";

import { ActionToast, useServerAction } from "@/components/action-status";
import { assignPolicyAction } from "../actions";

export interface PolicySelectProps {
  organizationId: string;
  current: string | null;
  policies: { id: string; name: string; isDefault: boolean }[];
}

/** Chooses the organization's rotation policy; empty means the default one. */
export function PolicySelect({ organizationId, current, policies }: PolicySelectProps) {
  const { pending, result, run } = useServerAction();
  return (
    <div className="form">
      <label>
        Change policy
        <select
          defaultValue={current ?? ""}
          disabled={pending}
          onChange={(e) => {
            const policyId = e.target.value;
            run(() => assignPolicyAction({ organizationId, policyId }));
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
      <ActionToast result={result} />
    </div>
  );
}
