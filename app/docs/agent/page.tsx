import type { Metadata } from "next";
import Link from "next/link";
import { RECIPES } from "@/packages/agent/src/recipes";
import { connection } from "next/server";
import { appUrl } from "@/lib/app-url";

export const metadata: Metadata = { title: "The rekey agent" };

/*
 * For customers: how to run the agent (packages/agent) beside their services
 * so a rotated key reaches them with nobody in between. Linked from every
 * key's page in the portal. The recipes are the ones tests/agent.test.ts
 * runs.
 */
export default async function AgentDocsPage() {
  await connection(); // rekey's address as configured where it runs, not where it was built
  const rekey = appUrl();
  const example = `npm run agent -- rotate --rekey ${rekey} \\
  --key-file /etc/myapp/rekey.key \\
  --to dotenv:/srv/myapp/.env#API_KEY \\
  --to "exec:vault kv put -mount=secret myapp api_key=-" \\
  --check "sed 's/^/Authorization: Bearer /' | curl -fsS -o /dev/null -H @- https://api.example.com/v1/whoami"`;
  return (
    <div className="api-doc">
      <h1>The rekey agent</h1>
      <p className="lede">
        A command you run beside your services. When your key is due, it rotates it, puts the new key where your services read it, checks that it works, and
        only then forgets the old one. Nobody copies a key by hand, and the key never appears in its output.
      </p>

      <section className="card" aria-labelledby="how">
        <h2 id="how">What one run does</h2>
        <ol>
          <li>
            Reads your current key from its <strong>key file</strong> and asks rekey whether it is due: its rotation is scheduled or has started, or it is
            within your policy's notice of its maximum age. If not, it stops and says when it will be.
          </li>
          <li>
            Rotates the key. Both keys now work until the grace deadline, so nothing breaks while the new one rolls out. The new key is written to{" "}
            <code>KEYFILE.next</code> (readable by its owner only) before anything else, so a crash cannot lose it.
          </li>
          <li>Delivers the new key to every destination in the order you list them.</li>
          <li>Runs your check with the new key.</li>
          <li>Replaces its key file with the new key and tells rekey, which shows “delivered by the agent” on the key's page.</li>
        </ol>
        <p>
          If a destination or the check fails, every destination is put back, the old key stays in the key file, rekey shows “delivery failed” and alerts the
          API company, and the agent exits with status 1. The next run picks up the new key from <code>KEYFILE.next</code> and tries again: a run stopped at any
          step (a crash, a reboot, <code>kill -9</code>) finishes on the next one, without rotating twice.
        </p>
      </section>

      <section className="card" aria-labelledby="run">
        <h2 id="run">Running it</h2>
        <p>
          The agent ships in the rekey repository (<code>packages/agent</code>) and needs Node.js 20.19 or later. In a checkout, <code>npm ci</code>, then:
        </p>
        <pre className="code-block">
          <code>{example}</code>
        </pre>
        <dl className="facts">
          <dt>
            <code>rotate</code>
          </dt>
          <dd>One run, then exit: for a cron job, a systemd timer, a Kubernetes CronJob or a CI schedule. Daily is plenty; the notice is days long.</dd>
          <dt>
            <code>watch</code>
          </dt>
          <dd>
            Keeps running, one run every <code>--interval</code> seconds (default 3600): for a sidecar. Stops cleanly on SIGTERM.
          </dd>
          <dt>
            <code>--force</code>
          </dt>
          <dd>Rotates now even if the key is not due (after a suspected leak, or to try the setup).</dd>
          <dt>
            <code>--check CMD</code>
          </dt>
          <dd>
            A shell command that gets the new key on its standard input and exits 0 when the key works, for example a request to your API as above (curl reads
            the header from standard input, so the key is not in its arguments).
          </dd>
          <dt>
            <code>--timeout S</code>
          </dt>
          <dd>How long each command may take (default 120 seconds) before it counts as failed.</dd>
          <dt>Exit status</dt>
          <dd>
            0 done or not due; 1 a delivery or the check failed (the old key kept); 2 bad options or rekey unreachable; 3 a person must act (for example an
            emergency rotation: its new key is only in the portal).
          </dd>
        </dl>
        <p>In Kubernetes, run it as a CronJob with the key file on a volume the job owns, and the kubectl recipe below to update the secret your pods mount.</p>
      </section>

      <section className="card" aria-labelledby="destinations">
        <h2 id="destinations">Destinations</h2>
        <dl className="facts">
          <dt>
            <code>file:PATH</code>
          </dt>
          <dd>The whole file becomes the key (no newline), replaced in one step; a new file is readable by its owner only.</dd>
          <dt>
            <code>dotenv:PATH#VARIABLE</code>
          </dt>
          <dd>One variable of a .env file, replaced where it stands: every other line, comment, quote and export is kept.</dd>
          <dt>
            <code>exec:COMMAND</code>
          </dt>
          <dd>
            A shell command that gets the key on its standard input, never in its arguments or environment (where <code>ps</code> would show it). Its output is
            shown with any key cut short. To put it back after a failure, the agent runs it again with the old key.
          </dd>
        </dl>
        <h3>Recipes</h3>
        {RECIPES.map((r) => (
          <div key={r.name} className="api-op">
            <h4>{r.name}</h4>
            <p>{r.about}</p>
            <pre className="code-block">
              <code>--to &apos;{r.to}&apos;</code>
            </pre>
          </div>
        ))}
      </section>

      <p className="sub">
        The agent calls two endpoints with your key, besides the rotation itself: the key's standing and the delivery report. See the{" "}
        <Link href="/docs/api">API reference</Link>.
      </p>
    </div>
  );
}
