"use client";

import { ActionToast, useServerAction } from "@/components/action-status";
import { updateContactsAction } from "../../actions";

/** Who gets rotation emails: add or remove one address at a time; at least one stays. */
export function ContactsEditor({ emails, timeZone, zones }: { emails: string[]; timeZone: string; zones: string[] }) {
  const { pending, result, run } = useServerAction();
  return (
    <>
      <div className="panel-grid">
        <section className="card" aria-label="Contacts">
          <h2>Who gets rotation emails</h2>
          <ul className="plain contact-list">
            {emails.map((email) => (
              <li key={email}>
                <span>{email}</span>
                <button
                  type="button"
                  className="button secondary small"
                  disabled={pending || emails.length === 1}
                  title={emails.length === 1 ? "At least one address must get rotation emails" : undefined}
                  onClick={() => run(() => updateContactsAction({ remove: email }))}
                >
                  Remove<span className="sr-only"> {email}</span>
                </button>
              </li>
            ))}
          </ul>
          <form
            className="form inline-form"
            style={{ marginTop: "1rem" }}
            aria-label="Add a contact"
            onSubmit={(event) => {
              event.preventDefault();
              const form = event.currentTarget;
              run(
                () => updateContactsAction({ add: String(new FormData(form).get("email") ?? "") }),
                () => form.reset(),
              );
            }}
          >
            <label>
              Email
              <input
                name="email"
                type="email"
                required
                placeholder="ops@example.com"
                aria-invalid={result && !result.ok && result.field === "add" ? true : undefined}
              />
            </label>
            <button className="button" type="submit" disabled={pending}>
              Add
            </button>
          </form>
        </section>
        <section className="card" aria-label="Time zone">
          <h2>Time zone of the emails</h2>
          <p className="sub" style={{ marginTop: 0 }}>
            Deadlines in emails and here are written in this time zone, and in UTC.
          </p>
          <form
            className="form inline-form"
            aria-label="Time zone"
            onSubmit={(event) => {
              event.preventDefault();
              run(() => updateContactsAction({ timeZone: String(new FormData(event.currentTarget).get("timeZone") ?? "") }));
            }}
          >
            <label>
              Time zone
              <select name="timeZone" defaultValue={timeZone}>
                {zones.map((z) => (
                  <option key={z}>{z}</option>
                ))}
              </select>
            </label>
            <button className="button secondary" type="submit" disabled={pending}>
              Save
            </button>
          </form>
        </section>
      </div>
      <ActionToast result={result} />
    </>
  );
}
