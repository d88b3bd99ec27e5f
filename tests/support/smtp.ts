import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";
import type { AddressInfo } from "node:net";

/**
 * A real SMTP server in the test process, on 127.0.0.1. It keeps every
 * message it accepted (parsed), and `failNext(n)` makes it refuse the next n
 * messages with a temporary error, as a struggling server does; `slow(ms)`
 * answers each message only after ms, and `hang(true)` never answers one
 * (the connection stays open), as a stuck server does.
 */
export async function startSmtpServer() {
  const received: ParsedMail[] = [];
  let failures = 0;
  let attempts = 0;
  let delayMs = 0;
  let hung = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        attempts++;
        if (hung) return; // no answer, ever: the client waits until it gives up
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        if (failures > 0) {
          failures--;
          const error = Object.assign(new Error("451 Try again later (test)"), { responseCode: 451 });
          return callback(error);
        }
        received.push(await simpleParser(Buffer.concat(chunks)));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    get attempts() {
      return attempts;
    },
    failNext(n: number) {
      failures = n;
    },
    slow(ms: number) {
      delayMs = ms;
    },
    hang(on: boolean) {
      hung = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function recipients(m: ParsedMail): string[] {
  return (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ""));
}
