import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { listUsers } from "@/lib/auth/users";
import { listOrganizationNames } from "@/lib/keys/queries";
import { InviteUserForm, UserRowActions } from "./_components/users-admin";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  await connection();
  const viewer = await requirePagePermission("users:manage", "/dashboard/users");
  const [users, organizations] = await Promise.all([listUsers(), listOrganizationNames()]);
  const now = new Date();
  return (
    <>
      <h1>Users</h1>
      <p className="lede">Who may sign in, and as what. A disabled user is signed out at their next request.</p>
      <section className="card">
        <h2 style={{ marginTop: 0 }}>Invite</h2>
        <InviteUserForm organizations={organizations} />
      </section>
      <div className="table-wrap" style={{ marginTop: "1rem" }}>
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Organization</th>
              <th scope="col">Last sign-in</th>
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
                <td>
                  <UserRowActions userId={u.id} role={u.role} disabled={!!u.disabledAt} isSelf={u.id === viewer.userId} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
