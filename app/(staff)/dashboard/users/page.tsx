import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { listUsers } from "@/lib/auth/users";
import { countOpenSessions } from "@/lib/auth/sessions";
import { listOrganizationNames } from "@/lib/keys/queries";
import { isStaffMfaRequired } from "@/lib/auth/mfa";
import { InviteUserForm, StaffMfaSetting, UserRowActions } from "./_components/users-admin";
import { CardTable } from "@/components/card-table";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  await connection();
  const viewer = await requirePagePermission("users:manage", "/dashboard/users");
  const now = new Date();
  const [users, organizations, sessions, mfaRequired] = await Promise.all([listUsers(), listOrganizationNames(), countOpenSessions(now), isStaffMfaRequired()]);
  return (
    <>
      <h1>Users</h1>
      <p className="lede">Who may sign in, and as what. Disabling a user, changing their role or "Sign out everywhere" ends their sessions at once.</p>
      <section className="card">
        <h2 style={{ marginTop: 0 }}>Invite</h2>
        <InviteUserForm organizations={organizations} />
      </section>
      <section className="card" style={{ marginTop: "1rem" }}>
        <h2 style={{ marginTop: 0 }}>Multi-factor sign-in</h2>
        <StaffMfaSetting required={mfaRequired} />
      </section>
      <div className="table-wrap" style={{ marginTop: "1rem" }}>
        <CardTable>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Organization</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Sessions</th>
              <th scope="col">Multi-factor</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>
                  {u.email} {u.disabledAt && <span className="badge revoked">disabled</span>}
                  {u.name && <div className="sub">{u.name}</div>}
                </td>
                <td>{u.role}</td>
                <td className="sub">{u.organization?.name ?? "—"}</td>
                <td className="sub">{u.lastSignInAt ? `${formatDistanceStrict(u.lastSignInAt, now)} ago` : "never"}</td>
                <td className="sub">{sessions.get(u.id) ?? 0} open</td>
                <td>
                  {u.role === "customer" ? (
                    <span className="sub">email link</span>
                  ) : u.totpEnabledAt ? (
                    <span className="badge active">on</span>
                  ) : (
                    <span className="badge neutral">off</span>
                  )}
                  {u._count.passkeys > 0 && <div className="sub">{u._count.passkeys === 1 ? "1 passkey" : `${u._count.passkeys} passkeys`}</div>}
                </td>
                <td>
                  <UserRowActions
                    userId={u.id}
                    email={u.email}
                    role={u.role}
                    disabled={!!u.disabledAt}
                    isSelf={u.id === viewer.userId}
                    openSessions={sessions.get(u.id) ?? 0}
                    mfa={!!u.totpEnabledAt || u._count.passkeys > 0}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </CardTable>
      </div>
    </>
  );
}
