import { formatDistanceStrict } from "date-fns";
import type { Viewer } from "@/lib/auth/viewer";
import { listOpenSessions, SESSION_IDLE_SECONDS, SESSION_MAX_AGE_SECONDS } from "@/lib/auth/sessions";
import { EndOtherSessionsButton, EndSessionButton } from "./session-controls";
import { CardTable } from "@/components/card-table";

/** A user agent in words a person recognises: browser and system, not the whole string. */
function device(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : /curl|node|python|Go-http/i.test(userAgent)
            ? "A script"
            : "A browser";
  const system = /iPhone|iPad/.test(userAgent)
    ? "iOS"
    : /Android/.test(userAgent)
      ? "Android"
      : /Mac OS X/.test(userAgent)
        ? "macOS"
        : /Windows/.test(userAgent)
          ? "Windows"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  return system ? `${browser} on ${system}` : browser;
}

/** The viewer's open sessions, with a way to end each one or all but this one. */
export async function SessionsCard({ viewer, now }: { viewer: Viewer; now: Date }) {
  const sessions = await listOpenSessions(viewer.userId, now);
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading" style={{ marginTop: 0 }}>
        Where you are signed in
      </h2>
      <p className="sub">
        A session ends {SESSION_MAX_AGE_SECONDS / 3600} hours after signing in, or after {SESSION_IDLE_SECONDS / 60} minutes without use. Ending one signs that
        browser out at its next request.
      </p>
      <div className="table-wrap">
        <CardTable>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last seen</th>
              <th scope="col">Ends</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => {
              const current = s.id === viewer.sessionId;
              return (
                <tr key={s.id}>
                  <td>
                    {device(s.userAgent)} {current && <span className="badge active">this browser</span>}
                    <div className="sub">by {s.method}</div>
                  </td>
                  <td className="sub">{s.ipAddress ?? "—"}</td>
                  <td className="sub">{formatDistanceStrict(s.createdAt, now)} ago</td>
                  <td className="sub">{now.getTime() - s.lastSeenAt.getTime() < 60_000 ? "just now" : `${formatDistanceStrict(s.lastSeenAt, now)} ago`}</td>
                  <td className="sub">in {formatDistanceStrict(s.expiresAt, now)}</td>
                  <td>
                    {!current && (
                      <EndSessionButton
                        sessionId={s.id}
                        label={`End the session of ${device(s.userAgent)}, signed in ${formatDistanceStrict(s.createdAt, now)} ago`}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </CardTable>
      </div>
      <EndOtherSessionsButton others={sessions.filter((s) => s.id !== viewer.sessionId).length} />
    </section>
  );
}
