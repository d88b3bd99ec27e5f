import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { scopeOf } from "@/lib/auth/scope";
import { describeActors, getPortalActivity, getPortalOrganization } from "@/lib/portal/queries";
import { formatInZone } from "@/lib/time";
import { ContactsEditor } from "./_components/contacts-editor";

export const metadata: Metadata = { title: "Contacts" };

export default async function ContactsPage() {
  await connection();
  const viewer = await requirePagePermission("portal:use", "/portal/contacts");
  const { organizationId } = scopeOf(viewer);
  const org = await getPortalOrganization(organizationId!);
  if (!org) notFound();
  const changes = (await getPortalActivity(org.id, 50)).filter((e) => e.action === "organization.contacts_changed").slice(0, 10);
  const who = await describeActors(
    changes.map((e) => e.actor),
    org.id,
  );
  const zones = Intl.supportedValuesOf("timeZone");
  if (!zones.includes(org.timeZone)) zones.unshift(org.timeZone);

  return (
    <>
      <h1>Contacts</h1>
      <p className="lede">
        These addresses of <strong>{org.name}</strong> are told {org.policy.noticeDays} days before a key rotates, when it starts, before the deadline if the
        old key is still in use, and when it is revoked. Emails never contain a key.
      </p>
      <ContactsEditor emails={org.contactEmails} timeZone={org.timeZone} zones={zones} />
      <h2>Recent changes</h2>
      <section className="card" aria-label="Recent changes">
        {changes.length === 0 ? (
          <p className="sub">No changes yet.</p>
        ) : (
          <ul className="plain">
            {changes.map((e) => (
              <li key={String(e.seq)}>
                {e.reason}{" "}
                <span className="sub">
                  by {who.get(e.actor)}, {formatInZone(e.at, org.timeZone)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
