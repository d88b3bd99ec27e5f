"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { ActionError, ActionToast, useServerAction } from "@/components/action-status";
import { OneTimeSecret } from "@/components/one-time-secret";
import type { ActionResult } from "@/lib/http/server-action";

/** Unlike a key, rekey needs the secret to sign each delivery: it keeps it encrypted, and never shows it again. */
const SECRET_KEPT = "rekey keeps it encrypted to sign each delivery and never shows it again: if it is lost, rotate it.";

type Action<T = unknown> = (input: unknown) => Promise<ActionResult<T>>;

/** What each event type means, for the subscription checkboxes. */
const EVENT_LABELS: Record<string, string> = {
  "rotation.scheduled": "a rotation is scheduled (the notice)",
  "rotation.started": "a rotation starts: the new key is ready, both keys work",
  "rotation.postponed": "a rotation is postponed",
  "rotation.reminded": "the old key is still used near its deadline",
  "rotation.extended": "a deadline is extended (new key unused)",
  "rotation.completed": "a rotation completes: the old key stops working",
  "rotation.cancelled": "a scheduled rotation is cancelled",
  "rotation.rolled_back": "a rotation is rolled back",
  "rotation.failed": "a scheduled rotation could not start",
  "rotation.grace_ended": "a grace ends early: the agent delivered the new key and it is in use",
  "rotation.delivered": "the customer's agent delivered the new key",
  "rotation.delivery_failed": "the customer's agent could not deliver the new key",
  "key.created": "a key is issued (or a new key revealed)",
  "key.revoked": "a key is revoked",
  "key.reactivated": "a key works again after a rollback",
  "key.leaked": "a key was reported leaked",
  "alert.raised": "an alert is raised (staff)",
};

/**
 * Adds a webhook endpoint: URL, description, which events (all, or chosen),
 * and for staff the organization (every one, or one) and the format. The
 * signing secret is shown once, in the answer.
 */
export function WebhookCreateForm({
  create,
  eventTypes,
  organizations,
  allowSlack,
}: {
  create: Action<{ id: string; secret: string | null }>;
  eventTypes: readonly string[];
  organizations?: { id: string; name: string }[];
  allowSlack?: boolean;
}) {
  const { pending, result, run } = useServerAction<{ id: string; secret: string | null }>();
  const [choose, setChoose] = useState(false);
  const [format, setFormat] = useState("standard");
  return (
    <form
      className="form"
      aria-label="Add a webhook endpoint"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const data = new FormData(form);
        const organizationId = String(data.get("organizationId") ?? "") || null;
        const events = choose && format === "standard" ? data.getAll("events").map(String) : [];
        run(
          () =>
            create({
              url: String(data.get("url") ?? ""),
              description: String(data.get("description") ?? ""),
              events,
              format,
              ...(organizations ? { organizationId } : {}),
            }),
          () => form.reset(),
        );
      }}
    >
      <div className="inline-form">
        <label style={{ flex: "2 1 22rem" }}>
          Endpoint URL
          <input
            name="url"
            type="url"
            required
            placeholder="https://api.example.com/hooks/rekey"
            aria-invalid={result && !result.ok && result.field === "url" ? true : undefined}
          />
        </label>
        <label style={{ flex: "1 1 12rem" }}>
          Description
          <input name="description" type="text" maxLength={200} placeholder="optional, e.g. deploy bot" />
        </label>
        {organizations && (
          <label>
            Events of
            <select name="organizationId" defaultValue="" disabled={format === "slack"}>
              <option value="">every organization</option>
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {allowSlack && (
          <label>
            Format
            <select name="format" value={format} onChange={(e) => setFormat(e.target.value)}>
              <option value="standard">Standard Webhooks (signed JSON)</option>
              <option value="slack">Slack incoming webhook (alerts)</option>
            </select>
          </label>
        )}
      </div>
      {format === "standard" && (
        <fieldset className="choices">
          <legend className="sub">Events</legend>
          <label>
            <input type="radio" name="which" checked={!choose} onChange={() => setChoose(false)} /> Every event
          </label>
          <label>
            <input type="radio" name="which" checked={choose} onChange={() => setChoose(true)} /> Only these:
          </label>
          {choose && (
            <div className="scope-picks">
              {eventTypes.map((t) => (
                <label key={t}>
                  <input type="checkbox" name="events" value={t} /> <code>{t}</code> <span className="sub">{EVENT_LABELS[t]}</span>
                </label>
              ))}
            </div>
          )}
        </fieldset>
      )}
      <div>
        <button className="button" type="submit" disabled={pending}>
          {pending ? "Adding…" : "Add endpoint"}
        </button>
      </div>
      <ActionToast
        result={result}
        labels={{ url: "Endpoint URL", description: "Description", events: "Events", organizationId: "Events of", format: "Format" }}
      >
        {result?.ok && result.data?.secret ? <OneTimeSecret secret={result.data.secret} what="signing secret" kept={SECRET_KEPT} /> : null}
      </ActionToast>
    </form>
  );
}

/** An endpoint's buttons: send a test event, rotate the secret, pause or enable, delete. */
export function WebhookEndpointActions({
  id,
  disabled,
  signed,
  listHref,
  actions,
}: {
  id: string;
  disabled: boolean;
  signed: boolean;
  listHref: string;
  actions: { test: Action; rotate: Action<{ secret: string }>; toggle: Action; remove: Action };
}) {
  const router = useRouter();
  const test = useServerAction();
  const rotate = useServerAction<{ secret: string }>();
  const other = useServerAction();
  return (
    <div className="form" style={{ marginTop: "1rem" }}>
      <div className="row-actions" style={{ flexWrap: "wrap" }}>
        <button type="button" className="button" disabled={test.pending || disabled} onClick={() => test.run(() => actions.test({ id }))}>
          {test.pending ? "Sending…" : "Send a test event"}
        </button>
        {signed && (
          <button
            type="button"
            className="button secondary"
            disabled={rotate.pending}
            onClick={() => {
              if (!window.confirm("Make a new signing secret? The old one keeps signing beside it for 24 hours.")) return;
              rotate.run(() => actions.rotate({ id }));
            }}
          >
            Rotate the secret
          </button>
        )}
        <button type="button" className="button secondary" disabled={other.pending} onClick={() => other.run(() => actions.toggle({ id, enabled: disabled }))}>
          {disabled ? "Enable" : "Pause"}
        </button>
        <button
          type="button"
          className="button danger"
          disabled={other.pending}
          onClick={() => {
            if (!window.confirm("Delete this endpoint and its delivery log? Deliveries not yet sent are dropped.")) return;
            other.run(
              () => actions.remove({ id }),
              () => router.push(listHref),
            );
          }}
        >
          Delete
        </button>
      </div>
      <ActionToast result={test.result} />
      <ActionToast result={rotate.result}>
        {rotate.result?.ok && rotate.result.data ? <OneTimeSecret secret={rotate.result.data.secret} what="signing secret" kept={SECRET_KEPT} /> : null}
      </ActionToast>
      <ActionError result={other.result} />
    </div>
  );
}

/** Sends one delivery again, now, with the same webhook-id. */
export function ResendButton({ deliveryId, resend }: { deliveryId: string; resend: Action }) {
  const { pending, result, run } = useServerAction();
  return (
    <span className="row-actions">
      <button
        type="button"
        className="button secondary small"
        disabled={pending}
        onClick={() => run(() => resend({ deliveryId }))}
        aria-label={`Resend ${deliveryId}`}
      >
        Resend
      </button>
      {result &&
        (result.ok ? (
          <span className="sub" role="status">
            {result.message}
          </span>
        ) : (
          <ActionError result={result} />
        ))}
    </span>
  );
}
