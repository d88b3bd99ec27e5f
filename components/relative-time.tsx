"use client";

import { formatDistanceStrict } from "date-fns";

export interface RelativeTimeProps {
  /** An ISO instant. */
  at: string;
  /** The server's now, so the server's and the browser's first render say the same. */
  now: string;
}

// Fields, not dateStyle/timeStyle: those may not be combined with timeZoneName (a RangeError).
const exact = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});

/**
 * "3 hours ago", with the exact time in the viewer's own zone on hover (the
 * browser's zone; the server renders UTC, hence suppressHydrationWarning).
 */
export function RelativeTime({ at, now }: RelativeTimeProps) {
  const date = new Date(at);
  return (
    <time dateTime={at} title={exact.format(date)} suppressHydrationWarning>
      {formatDistanceStrict(date, new Date(now), { addSuffix: true })}
    </time>
  );
}
