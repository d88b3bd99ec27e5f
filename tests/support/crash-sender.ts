// Delivers the outbox and dies (SIGKILL, no cleanup) right after the first
// message left, before it is marked sent: the crash the outbox must survive.
// Run by tests/outbox.test.ts as a child process.
import { getDatabase } from "../../lib/db";
import { deliverOutbox } from "../../lib/notifications/deliver";
import { fileMailer, smtpMailer } from "../../lib/notifications/mailer";

const [target, nowIso] = process.argv.slice(2);
await getDatabase();
const mailer = target.startsWith("smtp://") ? smtpMailer(target) : fileMailer(target);
await deliverOutbox(new Date(nowIso), { mailer, afterSend: () => process.kill(process.pid, "SIGKILL") });
console.error("crash-sender: nothing was sent");
process.exit(3);
