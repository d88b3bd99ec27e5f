import "server-only";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import nodemailer from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { dataRoot } from "../db";
import { appUrl } from "../app-url";
import { env, isSet } from "../env";

/** One email, ready to go. */
export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** The outbox row's idempotency key: the same event and recipient always make the same Message-ID. */
  idempotencyKey: string;
}

export interface SendResult {
  messageId: string;
  /** The file outbox already held this message (a crash after writing it): nothing was written again. */
  alreadySent?: boolean;
}

export interface Mailer {
  kind: "smtp" | "files";
  /** Where mail goes, for logs and the outbox page (no credentials). */
  describe: string;
  send(mail: OutgoingMail): Promise<SendResult>;
  /** How many sends may run at once. */
  concurrency: number;
  close(): void;
}

export const IDEMPOTENCY_HEADER = "X-Rekey-Idempotency-Key";

function fromAddress(): string {
  return env("MAIL_FROM");
}

/**
 * The Message-ID of a notification, derived from its idempotency key: a
 * re-send after a crash carries the same Message-ID and idempotency header,
 * so the receiving side sees one message, not two.
 */
export function messageIdFor(idempotencyKey: string): string {
  return `<${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 40)}@${mailDomain()}>`;
}

/**
 * The domain rekey's mail speaks for (RFC 5322 Message-ID's right side):
 * MAIL_FROM's, when set; else the public URL's host, so a default install
 * does not claim to be `localhost`.
 */
export function mailDomain(): string {
  const configured = isSet("MAIL_FROM") ? /@([^>\s]+)>?\s*$/.exec(env("MAIL_FROM"))?.[1] : undefined;
  if (configured) return configured;
  try {
    return new URL(appUrl()).hostname;
  } catch {
    return "rekey.local";
  }
}

/**
 * Headers every message carries: it is machine-sent (RFC 3834's
 * Auto-Submitted, so auto-responders and vacation replies stay quiet), and
 * its idempotency key (the same event and recipient, the same value).
 */
function headersFor(mail: OutgoingMail): Record<string, string> {
  return { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All", [IDEMPOTENCY_HEADER]: mail.idempotencyKey };
}

function message(mail: OutgoingMail) {
  return {
    from: fromAddress(),
    to: mail.to,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: messageIdFor(mail.idempotencyKey),
    headers: headersFor(mail),
  };
}

/** Sends through an SMTP server (`SMTP_URL`, e.g. smtp://user:pass@mail.example.com:587). */
export function smtpMailer(url: string): Mailer {
  // Timeouts stay well under the outbox's claim lease (5 minutes), so a slow
  // server cannot make another instance pick the same message up meanwhile.
  const transport = nodemailer.createTransport(url, { connectionTimeout: 20_000, greetingTimeout: 20_000, socketTimeout: 60_000 } as object);
  const safe = (() => {
    try {
      const u = new URL(url);
      return `${u.protocol}//${u.hostname}:${u.port || "default"}`;
    } catch {
      return "smtp";
    }
  })();
  return {
    kind: "smtp",
    describe: `SMTP ${safe}`,
    concurrency: 5,
    async send(mail) {
      const info = await transport.sendMail(message(mail));
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}

/** The folder the file outbox writes to when no SMTP server is configured. */
export function mailFolder(): string {
  return path.join(dataRoot(), "mail");
}

/**
 * Writes each email as an .eml file under ./data/mail, so the demo works with
 * nothing installed. The file name comes from the idempotency key and is
 * written atomically (temp file, then rename): an email already there is
 * never written twice, even after a crash between writing and marking.
 */
export function fileMailer(folder = mailFolder()): Mailer {
  return {
    kind: "files",
    describe: `files in ${folder}`,
    concurrency: 20,
    async send(mail) {
      mkdirSync(folder, { recursive: true });
      const file = path.join(folder, emlFileName(mail.idempotencyKey));
      const messageId = messageIdFor(mail.idempotencyKey);
      if (existsSync(file)) return { messageId, alreadySent: true };
      // nodemailer's own MIME composer, without a transport around it: half the cost per message.
      const raw = await new MailComposer(message(mail)).compile().build();
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, raw);
      renameSync(tmp, file);
      return { messageId };
    },
    close: () => {},
  };
}

export function emlFileName(idempotencyKey: string): string {
  return `${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 32)}.eml`;
}

/** The raw .eml of a notification in the file outbox, if it is there. */
export function readEml(idempotencyKey: string): Buffer | null {
  const file = path.join(mailFolder(), emlFileName(idempotencyKey));
  return existsSync(file) ? readFileSync(file) : null;
}

let current: Mailer | undefined;

/** The process's mailer: SMTP when `SMTP_URL` is set, else the file outbox. */
export function getMailer(): Mailer {
  const smtp = env("SMTP_URL");
  current ??= smtp ? smtpMailer(smtp) : fileMailer();
  return current;
}
