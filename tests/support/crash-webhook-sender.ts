// Delivers webhooks and dies (SIGKILL, no cleanup) right after the first
// request was answered, before anything is marked: the crash webhook
// delivery must survive. Run by tests/webhooks.test.ts as a child process.
import { getDatabase } from "../../lib/db";
import { deliverWebhooks } from "../../lib/webhooks/deliver";

const [nowIso] = process.argv.slice(2);
await getDatabase();
await deliverWebhooks(new Date(nowIso), { afterSend: () => process.kill(process.pid, "SIGKILL") });
console.error("crash-webhook-sender: nothing was sent");
process.exit(3);
