"use client";

import { useEffect, useState } from "react";
import { formatUtcMinute } from "@/lib/time";

function format(ms: number): string {
  const past = ms < 0;
  let s = Math.abs(Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  const text = d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
  return past ? `${text} ago` : `in ${text}`;
}

/** Time left until `to`, ticking every 30 seconds. */
export function Countdown({ to }: { to: string }) {
  const target = new Date(to).getTime();
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  // The server renders the date; the browser's clock takes over once mounted.
  return <time dateTime={to}>{now === null ? formatUtcMinute(new Date(to)) : format(target - now)}</time>;
}
