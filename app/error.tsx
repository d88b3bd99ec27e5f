"use client";

import Link from "next/link";

/** A failure while rendering: says so plainly, offers a retry, and shows the reference the server logged. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="error-page">
      <p className="error-code">500</p>
      <h1>Something went wrong on our side</h1>
      <p className="lede">
        The page could not be shown. Nothing you did was lost; try again, and if it keeps happening, give an administrator this reference:{" "}
        <code>{error.digest ?? "none"}</code>.
      </p>
      <div className="actions" style={{ justifyContent: "center" }}>
        <button className="button" type="button" onClick={reset}>
          Try again
        </button>
        <Link className="button secondary" href="/">
          Back to the start
        </Link>
      </div>
    </div>
  );
}
