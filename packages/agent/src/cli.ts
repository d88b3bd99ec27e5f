/**
 * npm run agent -- rotate --rekey URL --key-file PATH [--to DEST]… [--check CMD] [--force] [--timeout S]
 * npm run agent -- watch  --rekey URL --key-file PATH [--to DEST]… [--check CMD] [--interval S]
 *
 * The rekey agent (docs/agent.md): run by the customer beside their services,
 * it rotates the key in PATH when rekey says it is due, delivers the new key
 * to every destination (file:PATH, dotenv:PATH#VARIABLE, exec:COMMAND), runs
 * the check, and only then replaces its key file. No key is ever printed:
 * every line it or its commands write passes through a redactor.
 */
import { parseArgs } from "node:util";
import { AgentError, EXIT, runOnce, type AgentOptions } from "./agent";
import { parseDestination, type Io } from "./destinations";

const USAGE = `usage: npm run agent -- rotate|watch --rekey URL --key-file PATH [--to DEST]… [--check CMD] [--force] [--timeout SECONDS] [--interval SECONDS]
  DEST is file:PATH, dotenv:PATH#VARIABLE or exec:COMMAND (the key on the command's standard input)`;

function main(): Promise<number> | number {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return EXIT.ok;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { command, options, interval } = parsed;
  return command === "rotate" ? once(options) : watch(options, interval);
}

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rekey: { type: "string" },
      "key-file": { type: "string" },
      to: { type: "string", multiple: true, default: [] },
      check: { type: "string" },
      force: { type: "boolean", default: false },
      timeout: { type: "string", default: "120" },
      interval: { type: "string", default: "3600" },
      help: { type: "boolean", default: false },
    },
  });
  const command = positionals[0];
  if (positionals.length !== 1 || (command !== "rotate" && command !== "watch")) throw new Error("Say rotate (once) or watch (keep running).");
  if (!values.rekey || !/^https?:\/\//.test(values.rekey)) throw new Error("--rekey: rekey's address, as https://rekey.example.com");
  if (!values["key-file"]) throw new Error("--key-file: the file that holds the key this agent looks after");
  const seconds = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > 86_400) throw new Error(`--${name}: a whole number of seconds from ${min} to 86400`);
    return n;
  };
  const timeoutSeconds = seconds("timeout", values.timeout, 1);
  const interval = seconds("interval", values.interval, 10);
  const destinations = values.to.map(parseDestination);
  const labels = destinations.map((d) => d.label);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i && !l.startsWith("exec:"));
  if (twice) throw new Error(`--to ${twice} is named twice`);
  const keys = new Set<string>();
  const io: Io = {
    log: (line) => console.log(redact(line, keys)),
    redact: (text) => redact(text, keys),
    timeoutSeconds,
  };
  const options: AgentOptions = {
    rekey: values.rekey.replace(/\/+$/, ""),
    keyFile: values["key-file"],
    destinations,
    check: values.check,
    force: values.force,
    io,
    // Every key the agent sees is redacted from everything printed, whatever its format.
    fetch: (input, init) => {
      const request = new Request(input, { ...init, signal: AbortSignal.timeout(30_000) });
      const sent = /^Bearer\s+(\S+)/.exec(request.headers.get("authorization") ?? "");
      if (sent) keys.add(sent[1]);
      return fetch(request).then((r) => remember(r, keys));
    },
  };
  return { command, options, interval };
}

/** Notes every key that passes through the agent (the one it sends, the one rekey returns) so the redactor knows it. */
async function remember(response: Response, keys: Set<string>): Promise<Response> {
  const text = await response.clone().text();
  for (const m of text.matchAll(/"successorKey"\s*:\s*"([^"]+)"/g)) keys.add(m[1]);
  return response;
}

/** `text` with every known key, and anything shaped like a rekey key, cut to its first characters. */
function redact(text: string, keys: Set<string>): string {
  let out = text;
  for (const key of keys) if (key) out = out.split(key).join(`${key.slice(0, 12)}…`);
  return out.replace(/\b(rk_(?:live|test)_[0-9A-Za-z]{4})[0-9A-Za-z]{8,}/g, "$1…");
}

async function once(options: AgentOptions): Promise<number> {
  try {
    return await runOnce(options);
  } catch (error) {
    if (!(error instanceof AgentError)) {
      console.error(`The agent failed: ${options.io.redact((error as Error).message)}`);
      return EXIT.failed;
    }
    console.error(options.io.redact(error.message));
    return error.exitCode;
  }
}

/** Runs once now, then every `interval` seconds until SIGTERM or SIGINT (finishing a run under way first). */
async function watch(options: AgentOptions, interval: number): Promise<number> {
  let stopping = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopping = true;
    wake();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  options.io.log(`Watching ${options.keyFile}: every ${interval} s.`);
  while (!stopping) {
    const code = await once(options);
    if (code === EXIT.usage && !stopping) options.io.log("Will try again at the next interval.");
    if (stopping) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval * 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  options.io.log("Stopped.");
  return EXIT.ok;
}

const code = await main();
process.exit(code);
