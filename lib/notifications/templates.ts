import "server-only";
import mjml2html from "mjml";
import Handlebars from "handlebars";
import type { NotificationKind } from "./outbox";

/**
 * The emails, as MJML (responsive HTML that mail clients render alike) with
 * Handlebars placeholders, plus a plain-text twin. MJML runs once per
 * template (it is slow: milliseconds); each message then only fills the
 * placeholders, so a cron call can render ten thousand emails in a moment.
 * Emails name a key by its display prefix only, never the key.
 */

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What every template may use; built by `emailContext` from a notification's payload. */
export interface EmailContext {
  appUrl: string;
  portalUrl: string;
  organizationName?: string;
  keyPrefix?: string;
  environment?: string;
  reason?: string | null;
  /** The deadline (old key stops working) in the customer's time zone and in UTC. */
  deadlineLocal?: string;
  deadlineUtc?: string;
  /** When a scheduled rotation starts. */
  startsLocal?: string;
  startsUtc?: string;
  timeZone?: string;
  lastUsedAgo?: string;
  postponeDays?: number;
  postponementsLeft?: number;
  revokedNow?: boolean;
  alerts?: { kind: string; severity: string; message: string; url: string }[];
  alertCount?: number;
  alertsUrl?: string;
  signInUrl?: string;
  linkMinutes?: number;
  /** The monthly report: which month, and the Reports page for it. */
  periodLabel?: string;
  reportUrl?: string;
  /** The monthly report's signed checkpoint of the audit chain at the month's end, as JSON (lib/audit/checkpoint.ts). */
  checkpointJson?: string;
  checkpointSeq?: string;
}

interface Template {
  subject: string;
  preview: string;
  /** mj-column content. */
  body: string;
  text: string;
}

const keyLine = `<mj-text font-size="13px" color="#475569">Key <code style="font-family:ui-monospace,Menlo,monospace;background:#f1f5f9;padding:2px 6px;border-radius:4px">{{keyPrefix}}…</code> ({{environment}}) · {{organizationName}}</mj-text>`;
const deadline = `<mj-text><strong>Your old key keeps working until {{deadlineLocal}}</strong> ({{timeZone}})<br/><span style="color:#64748b">{{deadlineUtc}}</span></mj-text>`;
const portalButton = (label: string) =>
  `<mj-button href="{{portalUrl}}" background-color="#4338ca" border-radius="6px" font-weight="600" align="left">${label}</mj-button>`;
const noKeyNote = `<mj-text font-size="12px" color="#64748b">For your safety this email never contains a key. Sign in to the portal to see and copy the new one.</mj-text>`;

const templates: Record<NotificationKind | "alert_digest" | "sign_in", Template> = {
  rotation_notice: {
    subject: "Your API key {{keyPrefix}}… will be rotated on {{startsLocal}}",
    preview: "A new key will be ready for you; the old one keeps working until {{deadlineLocal}}.",
    body: `${keyLine}
<mj-text font-size="20px" font-weight="700">Your API key will be rotated soon</mj-text>
<mj-text>On <strong>{{startsLocal}}</strong> ({{timeZone}}; {{startsUtc}}) a new key will be ready for you in the rekey portal. Both keys work during the grace period, so nothing breaks while you switch.</mj-text>
${deadline}
<mj-text>{{#if postponeDays}}Need more time? You may postpone this rotation by {{postponeDays}} days in the portal{{#if postponementsLeft}} ({{postponementsLeft}} postponement(s) left){{/if}}.{{else}}Questions? Reply to your account contact.{{/if}}</mj-text>
${portalButton("Open the portal")}
${noKeyNote}`,
    text: `Your API key {{keyPrefix}}… ({{environment}}, {{organizationName}}) will be rotated.

On {{startsLocal}} ({{timeZone}}; {{startsUtc}}) a new key will be ready for you in the rekey portal. Both keys work during the grace period.
Your old key keeps working until {{deadlineLocal}} ({{timeZone}}; {{deadlineUtc}}).

{{#if postponeDays}}Need more time? You may postpone this rotation by {{postponeDays}} days in the portal{{#if postponementsLeft}} ({{postponementsLeft}} postponement(s) left){{/if}}.

{{/if}}Portal: {{portalUrl}}

This email never contains a key.`,
  },
  rotation_started: {
    subject: "New API key ready: replace {{keyPrefix}}… before {{deadlineLocal}}",
    preview: "Your new key is ready in the portal. The old key works until {{deadlineLocal}}.",
    body: `${keyLine}
<mj-text font-size="20px" font-weight="700">Your new API key is ready</mj-text>
<mj-text>Sign in to the portal, reveal the new key once and put it where the old one is used.</mj-text>
${deadline}
${portalButton("Get the new key")}
${noKeyNote}`,
    text: `Your new API key is ready for {{keyPrefix}}… ({{environment}}, {{organizationName}}).

Sign in to the portal, reveal the new key once and put it where the old one is used.
Your old key keeps working until {{deadlineLocal}} ({{timeZone}}; {{deadlineUtc}}).

Portal: {{portalUrl}}

This email never contains a key.`,
  },
  emergency_rotation: {
    subject: "Urgent: API key {{keyPrefix}}… was rotated for your safety",
    preview: "{{#if revokedNow}}The old key no longer works.{{else}}The old key stops working at {{deadlineLocal}}.{{/if}}",
    body: `${keyLine}
<mj-text font-size="20px" font-weight="700" color="#b91c1c">Your API key was rotated in an emergency</mj-text>
<mj-text>Reason: {{reason}}</mj-text>
<mj-text>{{#if revokedNow}}<strong>The old key was revoked at once and no longer works.</strong>{{else}}<strong>Your old key keeps working until {{deadlineLocal}}</strong> ({{timeZone}})<br/><span style="color:#64748b">{{deadlineUtc}}</span>{{/if}}</mj-text>
<mj-text>Your new key is waiting in the portal.</mj-text>
${portalButton("Get the new key")}
${noKeyNote}`,
    text: `Your API key {{keyPrefix}}… ({{environment}}, {{organizationName}}) was rotated in an emergency.

Reason: {{reason}}
{{#if revokedNow}}The old key was revoked at once and no longer works.{{else}}Your old key keeps working until {{deadlineLocal}} ({{timeZone}}; {{deadlineUtc}}).{{/if}}

Your new key is waiting in the portal: {{portalUrl}}

This email never contains a key.`,
  },
  rotation_reminder: {
    subject: "Reminder: API key {{keyPrefix}}… stops working {{deadlineLocal}}",
    preview: "The old key was still used {{lastUsedAgo}}.",
    body: `${keyLine}
<mj-text font-size="20px" font-weight="700">Your old API key stops working in less than a day</mj-text>
<mj-text>It was still used <strong>{{lastUsedAgo}}</strong>, so something still runs on it. Switch it to the new key before the deadline.</mj-text>
${deadline}
${portalButton("Get the new key")}
${noKeyNote}`,
    text: `Reminder: your old API key {{keyPrefix}}… ({{environment}}, {{organizationName}}) stops working in less than a day.

It was still used {{lastUsedAgo}}, so something still runs on it.
Deadline: {{deadlineLocal}} ({{timeZone}}; {{deadlineUtc}}).

Portal: {{portalUrl}}

This email never contains a key.`,
  },
  key_revoked: {
    subject: "API key {{keyPrefix}}… has been revoked",
    preview: "The old key no longer works; its successor does.",
    body: `${keyLine}
<mj-text font-size="20px" font-weight="700">Your old API key has been revoked</mj-text>
<mj-text>The grace period ended and the old key no longer works. Its successor is in the portal.</mj-text>
${portalButton("Open the portal")}
${noKeyNote}`,
    text: `Your old API key {{keyPrefix}}… ({{environment}}, {{organizationName}}) has been revoked.

The grace period ended and the old key no longer works. Its successor is in the portal: {{portalUrl}}

This email never contains a key.`,
  },
  alert_digest: {
    subject: "rekey: {{alertCount}} new alert(s)",
    preview: "Alerts that need someone to look at them.",
    body: `<mj-text font-size="20px" font-weight="700">New alerts</mj-text>
<mj-text><ul style="padding-left:18px;margin:0">{{#each alerts}}<li style="margin-bottom:6px"><strong>{{severity}}</strong> · {{message}} <a href="{{url}}">open</a></li>{{/each}}</ul></mj-text>
<mj-button href="{{alertsUrl}}" background-color="#4338ca" border-radius="6px" font-weight="600" align="left">Open alerts</mj-button>`,
    text: `New alerts:
{{#each alerts}}
- [{{severity}}] {{message}} ({{url}})
{{/each}}

All alerts: {{alertsUrl}}`,
  },
  monthly_report: {
    subject: "rekey compliance report: {{periodLabel}}",
    preview: "Last month's compliance report is ready to download.",
    body: `<mj-text font-size="20px" font-weight="700">The compliance report for {{periodLabel}} is ready</mj-text>
<mj-text>Was every key rotated within policy last month, and when not, why: the report (PDF and CSV) and the audit log of the month, with the audit chain's check. It is produced when you download it, and the download is recorded.</mj-text>
<mj-button href="{{reportUrl}}" background-color="#4338ca" border-radius="6px" font-weight="600" align="left">Open the report</mj-button>
{{#if checkpointJson}}<mj-text font-size="16px" font-weight="700">Keep this email: a signed checkpoint of the audit trail</mj-text>
<mj-text>rekey signed the audit trail's last event of the month, event {{checkpointSeq}}. Held here, outside rekey, it proves later that no event up to it was changed, removed or cut off: save the line below as checkpoint.json and run <code>npm run audit:verify -- audit-log.jsonl --checkpoint checkpoint.json</code>.</mj-text>
<mj-text font-family="Menlo, Consolas, monospace" font-size="11px" line-height="1.4"><div style="word-break:break-all">{{checkpointJson}}</div></mj-text>{{/if}}`,
    text: `The compliance report for {{periodLabel}} is ready.

Was every key rotated within policy last month, and when not, why: the report (PDF and CSV) and the audit log of the month, with the audit chain's check.

Open it: {{reportUrl}}
{{#if checkpointJson}}

Keep this email: a signed checkpoint of the audit trail. rekey signed the audit trail's last event of the month, event {{checkpointSeq}}. Held here, outside rekey, it proves later that no event up to it was changed, removed or cut off: save the line below as checkpoint.json and run npm run audit:verify -- audit-log.jsonl --checkpoint checkpoint.json

{{checkpointJson}}
{{/if}}`,
  },
  sign_in: {
    subject: "Sign in to rekey",
    preview: "Your sign-in link; it works once, for {{linkMinutes}} minutes.",
    body: `<mj-text font-size="20px" font-weight="700">Sign in to rekey</mj-text>
<mj-text>Click the button to sign in. The link works once and expires in {{linkMinutes}} minutes. If you did not ask for it, ignore this email.</mj-text>
<mj-button href="{{signInUrl}}" background-color="#4338ca" border-radius="6px" font-weight="600" align="left">Sign in</mj-button>`,
    text: `Sign in to rekey: {{signInUrl}}

The link works once and expires in {{linkMinutes}} minutes. If you did not ask for it, ignore this email.`,
  },
};

export type TemplateName = keyof typeof templates;

function layout(t: Template): string {
  return `<mjml>
  <mj-head>
    <mj-preview>${t.preview}</mj-preview>
    <mj-attributes>
      <mj-all font-family="-apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" />
      <mj-text font-size="15px" line-height="1.5" color="#0f172a" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="#f1f5f9">
    <mj-section padding="24px 0 8px"><mj-column><mj-text font-size="18px" font-weight="800" color="#4338ca">rekey</mj-text></mj-column></mj-section>
    <mj-section background-color="#ffffff" border-radius="8px" padding="16px 8px"><mj-column>
${t.body}
    </mj-column></mj-section>
    <mj-section><mj-column><mj-text font-size="12px" color="#64748b">{{#if organizationName}}You receive this because your address is a notification contact of {{organizationName}} at {{appUrl}}.{{else}}Sent by rekey at {{appUrl}}.{{/if}}</mj-text></mj-column></mj-section>
  </mj-body>
</mjml>`;
}

interface Compiled {
  subject: HandlebarsTemplateDelegate;
  html: HandlebarsTemplateDelegate;
  text: HandlebarsTemplateDelegate;
}

const compiled = new Map<TemplateName, Promise<Compiled>>();

/** MJML's hidden preview line (the inbox's one-line summary), as it writes it: white text. */
const WHITE_PREVIEW = /(<div style="display:none;font-size:1px;)color:#ffffff;/;

/**
 * The preview line in the body's text colour. It is hidden either way (display:none, opacity 0), but MJML writes it
 * white on the page's light grey, and spam filters score text close to its background colour as a trick to hide
 * words (SpamAssassin's HTML_FONT_LOW_CONTRAST fired on every email): tests/mail-conventions.test.ts runs it.
 */
function darkPreview(html: string, name: string): string {
  if (!WHITE_PREVIEW.test(html)) throw new Error(`Email template ${name}: MJML's preview line is no longer where it was; check its colour`);
  return html.replace(WHITE_PREVIEW, "$1color:#0f172a;");
}

async function compile(name: TemplateName): Promise<Compiled> {
  const t = templates[name];
  const result = await mjml2html(layout(t), { validationLevel: "strict", minify: false });
  if (result.errors.length) throw new Error(`Email template ${name}: ${result.errors.map((e) => e.formattedMessage).join("; ")}`);
  return {
    subject: Handlebars.compile(t.subject, { noEscape: true, strict: false }),
    html: Handlebars.compile(darkPreview(result.html, name)),
    text: Handlebars.compile(t.text, { noEscape: true }),
  };
}

/** Renders one email: subject, HTML and plain text. */
export async function renderEmail(name: TemplateName, context: EmailContext): Promise<RenderedEmail> {
  let c = compiled.get(name);
  if (!c) compiled.set(name, (c = compile(name)));
  const t = await c;
  return { subject: t.subject(context).replace(/\s+/g, " ").trim(), html: t.html(context), text: t.text(context) };
}
