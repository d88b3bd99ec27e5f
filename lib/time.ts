const formatters = new Map<string, Intl.DateTimeFormat>();

/** A moment as a person in `timeZone` reads it, e.g. "Tue, 1 Dec 2026, 14:00 CET": in emails
 * (in the organization's time zone and in UTC) and in the portal. */
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
        timeZoneName: "short",
      });
    } catch {
      return formatInZone(at, "UTC"); // an unknown zone name: UTC rather than no date
    }
    formatters.set(timeZone, f); // building a formatter costs far more than using one
  }
  return f.format(at);
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
