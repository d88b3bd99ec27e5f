/** A key's status or a rotation's state as a coloured badge; the word itself carries the meaning. */
export function StatusBadge({ value }: { value: string }) {
  const tone = ["active", "expiring", "revoked", "expired", "scheduled"].includes(value)
    ? value
    : value === "grace" || value === "deprecated"
      ? "expiring"
      : "neutral";
  return <span className={`badge ${tone}`}>{value.replace("_", " ")}</span>;
}
