/**
 * Shown while the keys pages load. Only here: a loading boundary streams the
 * pages under it, after which a page's own 403 can no longer set the status,
 * so it sits where the staff layout's check is the whole check.
 */
export default function Loading() {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading…
    </div>
  );
}
