/** A policy's recorded reason for going outside the usual bounds (max age above a year, or shorter than notice plus grace), shown wherever the policy is. */
export function PolicyException({ reason }: { reason: string | null }) {
  if (!reason) return null;
  return (
    <p className="policy-exception">
      <span className="badge warn">outside the usual bounds</span> {reason}
    </p>
  );
}
