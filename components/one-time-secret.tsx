"use client";

import { useState } from "react";

/**
 * A key or token shown once: the full value, a copy button that says when it
 * worked, and the warning that it will not be shown again. The value lives
 * only in this component's props (the one response that revealed it).
 */
export function OneTimeSecret({
  secret,
  what = "key",
  kept = "rekey keeps only a fingerprint of it; nobody, including us, can show it to you later.",
}: {
  secret: string;
  what?: string /** What rekey keeps of it, said after the warning. */;
  kept?: string;
}) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  return (
    <div className="one-time">
      <div className="secret-row">
        <code className="secret" role="group" aria-label={`Your new ${what}`}>
          {secret}
        </code>
        <button
          type="button"
          className="button secondary small"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(secret);
              setCopied("yes");
            } catch {
              setCopied("failed");
            }
          }}
        >
          {copied === "yes" ? "Copied ✓" : "Copy"}
        </button>
      </div>
      <p className="sub" role="status">
        {copied === "yes"
          ? `Copied to your clipboard. Paste it into your secret store now.`
          : copied === "failed"
            ? "Your browser did not allow copying: select the text and copy it by hand."
            : null}
      </p>
      <p className="warn-text">
        <strong>This {what} is not shown again.</strong> {kept}
      </p>
    </div>
  );
}
