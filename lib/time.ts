const formatters = new Map<string, Intl.DateTimeFormat>();

/** A moment as a person in `timeZone` reads it, e.g. "Tue, 1 Dec 2026, 14:00 UTC+1": in emails
 * (in the organization's time zone and in UTC) and in the portal. The zone is always written as its offset from UTC
 * ("UTC+1", "UTC-5", "UTC+5:30", "UTC"), one style for every zone: Intl's short names mix "CET" with "GMT-5". */
export function formatInZone(at: Date, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-GB", {
        timeZone,
        weekday: "short",
        day: "numeric",
        month: "short",
        year: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        timeZoneName: "shortOffset",
      });
    } catch {
      return formatInZone(at, "UTC"); // an unknown zone name: UTC rather than no date
    }
    formatters.set(timeZone, f); // building a formatter costs far more than using one
  }
  return f
    .format(at)
    .replace(/\bGMT(?:\+0)?$/, "UTC")
    .replace(/\bGMT(?=[+-]\d)/, "UTC");
}

/** A moment in UTC to the minute, for messages and documents: "2026-07-10 09:00 UTC". */
export function formatUtcMinute(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const staffFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** A moment as the staff pages show it, in their one zone, labelled: "7 Dec 2026, 09:30 UTC". */
export function formatStaffTime(at: Date): string {
  return `${staffFormat.format(at)} UTC`;
}
