/** Tests and benchmarks create and drop databases: refuse anything but a server on this machine. */
export function assertLocalDatabaseUrl(url: string): URL {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const socket = parsed.searchParams.get("host") ?? "";
  if (!["localhost", "127.0.0.1", "::1", ""].includes(host) && !socket.startsWith("/")) {
    throw new Error(`Refusing to use ${parsed.host}: tests run only against a local PostgreSQL server.`);
  }
  return parsed;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
