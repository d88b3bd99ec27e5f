"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requirePermission } from "@/lib/auth/authorize";
import { keySearchFormSchema } from "@/lib/keys/schemas";
import { parseSecret } from "@/lib/keys/format";
import { findImportedKeyBySearch, findKeyIdByFullKey } from "@/lib/keys/queries";
import { readKeySearch, searchForUrl } from "@/lib/keys/search";
import { serverAction } from "@/lib/http/server-action";
import { bulkScheduleSchema } from "@/lib/rotations/schemas";
import { scheduleRotationsForFilter } from "@/lib/rotations/bulk";
import { reportLeakAction } from "@/lib/leaks/actions";

/** Revokes a pasted leaked key at once with its family (admin, operator); the key is only hashed. */
export const reportLeakedKeyAction = reportLeakAction("keys:rotate", "dashboard", "/dashboard/keys");

/** Schedules a rotation for every key the filter matches (admin, operator). */
export const bulkScheduleRotationsAction = serverAction("keys:rotate", bulkScheduleSchema, async (input, { actor, now }) => {
  const { scheduled, tooLate, tooLateMustStartBy } = await scheduleRotationsForFilter(input, { actor, now });
  revalidatePath("/dashboard/keys");
  const late = tooLate
    ? ` ${tooLate.toLocaleString("en")} key${tooLate === 1 ? " was" : "s were"} left out: their policy makes them start rotating earlier (the first by ${tooLateMustStartBy!.toISOString()}); schedule them sooner or rotate them now.`
    : "";
  return {
    message: scheduled
      ? `Scheduled ${scheduled.toLocaleString("en")} rotation${scheduled === 1 ? "" : "s"}. Keys already rotating, or not active, were left alone.${late}`
      : `Nothing scheduled: every matching key is already rotating, not active, or due earlier.${late}`,
  };
});

/**
 * The keys search (the list's box and the header's): a POST, so a pasted
 * full key never reaches a URL, a server log line or the browser history.
 * A full key is found by its keyed hash, as verification finds it, and
 * opens its key's page, as does a key imported from an earlier system
 * (found by its display prefix); anything else becomes the list's `q` (cut
 * to a prefix when it starts like a key or an imported key's prefix). Staff
 * only; the key is not echoed back.
 */
export async function findKeyAction(formData: FormData): Promise<void> {
  await requirePermission("staff:read");
  const { q, ...filters } = keySearchFormSchema.parse(Object.fromEntries([...formData.entries()].filter(([, v]) => typeof v === "string" && v !== "")));
  const text = (q ?? "").trim();
  const params = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === "string"));
  const read = readKeySearch(text);
  const search = searchForUrl(read);
  if (search) params.set("q", search);
  if (parseSecret(text)?.kind === "rk") {
    const keyId = await findKeyIdByFullKey(text);
    if (keyId) redirect(`/dashboard/keys/${keyId}`);
    params.set("nokey", "1");
  } else if (read?.kind === "text") {
    // A key of the earlier system's shape, imported: cut to its prefix, and found like a full key.
    const imported = await findImportedKeyBySearch(text);
    if (imported?.keyId) redirect(`/dashboard/keys/${imported.keyId}`);
    if (imported && imported.prefix.length < text.length) {
      params.set("q", imported.prefix);
      params.set("nokey", "1");
    }
  }
  const query = params.toString();
  redirect(`/dashboard/keys${query ? `?${query}` : ""}`);
}
