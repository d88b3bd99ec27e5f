"use client";

import { ActionToast, useServerAction } from "@/components/action-status";
import type { EffectivePolicy } from "@/lib/policies/defaults";
import { MAX_AGE_WITHOUT_REASON_DAYS } from "@/lib/policies/defaults";
import { updatePolicyAction } from "../actions";

export interface PolicyFormProps {
  policy: EffectivePolicy & { id: string };
}

const FIELDS: {
  name: keyof Omit<
    PolicyFormProps["policy"],
    "id" | "name" | "waitForSuccessorUse" | "customersManageKeys" | "emergencyOnReuse" | "endGraceOnConfirmedUse" | "exceptionReason"
  >;
  label: string;
}[] = [
  { name: "maxAgeDays", label: "Max key age (days)" },
  { name: "gracePeriodHours", label: "Grace period (hours)" },
  { name: "emergencyGraceHours", label: "Emergency grace (hours)" },
  { name: "leakGraceHours", label: "Grace for a key reported leaked (hours; 0: revoke at once)" },
  { name: "noticeDays", label: "Notice before a scheduled rotation (days)" },
  { name: "maxPostponements", label: "Postponements allowed" },
  { name: "postponeDays", label: "Each postponement (days)" },
];

/** Field names as the form shows them, for the server's messages. */
const LABELS: Record<string, string> = { ...Object.fromEntries(FIELDS.map((f) => [f.name, f.label])), exceptionReason: "Exception reason" };

/** Edits one policy; the server validates and says which field is wrong. */
export function PolicyForm({ policy }: PolicyFormProps) {
  const { pending, result, run } = useServerAction();
  return (
    <form
      className="form policy-form"
      aria-label={`Edit ${policy.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        const data = Object.fromEntries(new FormData(event.currentTarget));
        run(() =>
          updatePolicyAction({
            ...data,
            policyId: policy.id,
            waitForSuccessorUse: data.waitForSuccessorUse === "on",
            customersManageKeys: data.customersManageKeys === "on",
            emergencyOnReuse: data.emergencyOnReuse === "on",
            endGraceOnConfirmedUse: data.endGraceOnConfirmedUse === "on",
          }),
        );
      }}
    >
      <div className="policy-fields">
        {FIELDS.map((f) => (
          <label key={f.name}>
            {f.label}
            <input
              name={f.name}
              type="number"
              defaultValue={policy[f.name]}
              aria-invalid={result && !result.ok && result.field === f.name ? true : undefined}
            />
          </label>
        ))}
      </div>
      <label>
        Exception reason
        <textarea
          name="exceptionReason"
          rows={2}
          maxLength={500}
          defaultValue={policy.exceptionReason ?? ""}
          aria-describedby={`exception-help-${policy.id}`}
          aria-invalid={result && !result.ok && result.field === "exceptionReason" ? true : undefined}
        />
      </label>
      {/* Outside the label, so the field's name stays "Exception reason". */}
      <p id={`exception-help-${policy.id}`} className="sub" style={{ margin: "-0.6rem 0 0" }}>
        Needed only for a max age above {MAX_AGE_WITHOUT_REASON_DAYS} days, or one shorter than the notice plus the grace period: why this policy may go outside
        the usual bounds. It is audited and printed in compliance reports.
      </p>
      <label className="check">
        <input type="checkbox" name="waitForSuccessorUse" defaultChecked={policy.waitForSuccessorUse} /> Wait for the new key&apos;s first use before revoking
        the old one (extend the deadline once)
      </label>
      <label className="check">
        <input type="checkbox" name="customersManageKeys" defaultChecked={policy.customersManageKeys} /> Customers may issue and revoke their own keys in the
        portal
      </label>
      <label className="check">
        <input type="checkbox" name="emergencyOnReuse" defaultChecked={policy.emergencyOnReuse} /> When a key asks for a successor already issued (two holders
        of one key?), emergency-rotate it and its new keys at once, not only alert
      </label>
      <label className="check">
        <input type="checkbox" name="endGraceOnConfirmedUse" defaultChecked={policy.endGraceOnConfirmedUse} /> When the customer&apos;s agent reports the new
        key delivered and the new key is used after that, revoke the old key then instead of at the grace deadline
      </label>
      <div className="actions" style={{ marginTop: 0 }}>
        <button className="button" type="submit" disabled={pending}>
          Save
        </button>
      </div>
      <ActionToast result={result} labels={LABELS} />
    </form>
  );
}
