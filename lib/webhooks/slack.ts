import { appUrl } from "../app-url";
import type { WebhookEvent } from "./enqueue";

const ICON: Record<string, string> = { critical: ":rotating_light:", warning: ":warning:", info: ":information_source:" };

/**
 * An alert as a Slack incoming webhook shows it (`{ text, blocks }`, mrkdwn),
 * with a link to the key or the inbox; null for every other event (a Slack
 * endpoint receives alerts only).
 */
export function slackMessage(event: Pick<WebhookEvent, "type" | "data">): string | null {
  if (event.type !== "alert.raised") return null;
  const d = event.data as { severity?: string; kind?: string; message?: string; keyId?: string | null };
  const link = d.keyId ? `${appUrl()}/dashboard/keys/${d.keyId}` : `${appUrl()}/dashboard/alerts`;
  const escapeMrkdwn = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const title = `${ICON[d.severity ?? "info"] ?? ""} *rekey ${d.severity ?? "info"} alert: ${escapeMrkdwn((d.kind ?? "alert").replace(/_/g, " "))}*`;
  const text = `${title}\n${escapeMrkdwn(d.message ?? "")}\n<${link}|Open in rekey>`;
  return JSON.stringify({ text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
}
