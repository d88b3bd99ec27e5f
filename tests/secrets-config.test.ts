import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encode } from "next-auth/jwt";
import { environmentSecretProvider, hashVersionLingerDays, reloadSecrets } from "../lib/secret";
import type { Environment } from "../lib/env";
import { parseHashingSecrets } from "../packages/verifier/src/secrets";
import { authOptions } from "../lib/auth/options";

/**
 * rekey's own secrets as an operator configures them (lib/secret.ts): the
 * versioned hashing secrets, and the session secret, which is independent of
 * them. No database: configuration only.
 */
const A = "hashing-secret-one-abcdefghijklmnopqrstuvwxyz0123";
const B = "hashing-secret-two-abcdefghijklmnopqrstuvwxyz0123";
const SESSION = "session-secret-abcdefghijklmnopqrstuvwxyz0123456";
const OLD_SESSION = "old-session-secret-abcdefghijklmnopqrstuvwxyz0123";
const saved = { ...process.env };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "rekey-secrets-"));
  process.env.REKEY_DATA_DIR = dir;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const name of ["REKEY_DATA_DIR", "REKEY_SECRETS", "REKEY_SECRETS_FILE", "NEXTAUTH_SECRET", "NEXTAUTH_SECRET_PREVIOUS", "DATABASE_URL"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  process.env.REKEY_SECRET = saved.REKEY_SECRET;
  reloadSecrets();
});

describe("the written form of hashing secrets", () => {
  it("orders the current version first, then newest to oldest, and accepts commas, spaces, new lines and comments", () => {
    expect(parseHashingSecrets(`1:${A}, *3:${B}\n2:${A}x # the one before`, "test")).toEqual({
      current: 3,
      secrets: [
        { version: 3, secret: B },
        { version: 2, secret: `${A}x` },
        { version: 1, secret: A },
      ],
    });
    expect(parseHashingSecrets(`7:${A}`, "test")).toEqual({ current: 7, secrets: [{ version: 7, secret: A }] });
  });

  it("refuses what is ambiguous or weak, naming the problem and never the secret", () => {
    const cases: [string, RegExp][] = [
      [`1:${A},2:${B}`, /mark the current version with a leading \*/],
      [`*1:${A},*2:${B}`, /more than one version is marked current/],
      [`*1:${A},1:${B}`, /version 1 is listed twice/],
      [`*1:short-secret`, /the secret of version 1 must be at least 32 characters/],
      [`*0:${A}`, /from 1 to 65535/],
      [`${A}`, /entry 1 is not <version>:<secret>/],
      [``, /no hashing secret is configured/],
    ];
    for (const [text, message] of cases) {
      let thrown: unknown;
      try {
        parseHashingSecrets(text, "REKEY_SECRETS");
      } catch (error) {
        thrown = error;
      }
      expect(String(thrown)).toMatch(message);
      expect(String(thrown)).toMatch(/^Error: REKEY_SECRETS: /);
      for (const secret of [A, B, "short-secret"]) expect(String(thrown)).not.toContain(secret);
    }
  });
});

describe("where the hashing secrets come from", () => {
  const provider = (env: Environment) => environmentSecretProvider({ REKEY_DATA_DIR: dir, ...env });

  it("REKEY_SECRETS, REKEY_SECRETS_FILE, or the lone REKEY_SECRET as version 1; only one of them", () => {
    expect(provider({ REKEY_SECRETS: `1:${A},*2:${B}` }).hashingSecrets().current).toBe(2);
    const file = path.join(dir, "hashing-secrets");
    writeFileSync(file, `# rotated 2026-11-25\n*2:${B}\n1:${A}\n`);
    expect(provider({ REKEY_SECRETS_FILE: file }).hashingSecrets()).toEqual({
      current: 2,
      secrets: [
        { version: 2, secret: B },
        { version: 1, secret: A },
      ],
    });
    expect(provider({ REKEY_SECRET: A }).hashingSecrets()).toEqual({ current: 1, secrets: [{ version: 1, secret: A }] });
    expect(() => provider({ REKEY_SECRETS: `*2:${B}`, REKEY_SECRET: A }).hashingSecrets()).toThrow(/Set only one of REKEY_SECRETS and REKEY_SECRET/);
    expect(() => provider({ REKEY_SECRETS_FILE: path.join(dir, "missing") }).hashingSecrets()).toThrow(/REKEY_SECRETS_FILE: cannot read .*missing \(ENOENT\)/);
    expect(() => provider({ REKEY_SECRET: "short" }).hashingSecrets()).toThrow(/REKEY_SECRET must be at least 32 characters/);
    expect(() => provider({ DATABASE_URL: "postgresql://db.internal/rekey" }).hashingSecrets()).toThrow(
      /REKEY_SECRETS \(or REKEY_SECRETS_FILE, or REKEY_SECRET\) is required with DATABASE_URL/,
    );
  });

  it("the embedded database generates versioned secrets once; an older install's single secret is version 1", () => {
    const first = provider({}).hashingSecrets();
    expect(first.current).toBe(1);
    expect(provider({}).hashingSecrets()).toEqual(first);
    expect(readFileSync(path.join(dir, "secrets"), "utf8")).toMatch(/^\*1:/m);

    const older = mkdtempSync(path.join(tmpdir(), "rekey-secrets-old-"));
    try {
      writeFileSync(path.join(older, "secret"), A);
      expect(environmentSecretProvider({ REKEY_DATA_DIR: older }).hashingSecrets()).toEqual({ current: 1, secrets: [{ version: 1, secret: A }] });
      // Rotating there: a `secrets` file with the old one as version 1 takes over.
      writeFileSync(path.join(older, "secrets"), `1:${A}\n*2:${B}\n`);
      expect(environmentSecretProvider({ REKEY_DATA_DIR: older }).hashingSecrets().current).toBe(2);
    } finally {
      rmSync(older, { recursive: true, force: true });
    }
  });

  it("REKEY_SECRET_LINGER_DAYS: 30 by default, a bad value is an error", () => {
    expect(hashVersionLingerDays({})).toBe(30);
    expect(hashVersionLingerDays({ REKEY_SECRET_LINGER_DAYS: "90" })).toBe(90);
    expect(() => hashVersionLingerDays({ REKEY_SECRET_LINGER_DAYS: "soon" })).toThrow(/REKEY_SECRET_LINGER_DAYS must be a whole number/);
  });
});

describe("the session secret is independent of the hashing secrets", () => {
  const provider = (env: Environment) => environmentSecretProvider({ REKEY_DATA_DIR: dir, ...env });

  it("NEXTAUTH_SECRET signs sessions whatever the hashing secrets are, and changing those leaves it alone", () => {
    expect(provider({ NEXTAUTH_SECRET: SESSION, REKEY_SECRETS: `*1:${A}` }).sessionSecrets()).toEqual([SESSION]);
    expect(provider({ NEXTAUTH_SECRET: SESSION, REKEY_SECRETS: `1:${A},*2:${B}` }).sessionSecrets()).toEqual([SESSION]);
    expect(provider({ NEXTAUTH_SECRET: SESSION, NEXTAUTH_SECRET_PREVIOUS: OLD_SESSION }).sessionSecrets()).toEqual([SESSION, OLD_SESSION]);
    expect(() => provider({ NEXTAUTH_SECRET_PREVIOUS: OLD_SESSION }).sessionSecrets()).toThrow(/NEXTAUTH_SECRET_PREVIOUS is set without NEXTAUTH_SECRET/);
  });

  it("the embedded database generates its own session secret, unrelated to the hashing secret", () => {
    const hashing = provider({}).hashingSecrets().secrets[0].secret;
    const [session] = provider({}).sessionSecrets();
    expect(session).toHaveLength(43);
    expect(session).not.toBe(hashing);
    expect(session).not.toBe(createHmac("sha256", hashing).update("rekey session cookies").digest("hex"));
    expect(provider({}).sessionSecrets()).toEqual([session]);
    expect(readFileSync(path.join(dir, "session-secret"), "utf8")).toBe(session);
  });

  it("on a PostgreSQL server it is required, except for an install with only the lone REKEY_SECRET of before, whose users stay signed in", () => {
    const server = "postgresql://db.internal/rekey";
    expect(() => provider({ DATABASE_URL: server, REKEY_SECRETS: `*1:${A}` }).sessionSecrets()).toThrow(
      /NEXTAUTH_SECRET is required with DATABASE_URL and REKEY_SECRETS/,
    );
    // The secret that install's cookies were signed with so far: the same, so nobody is signed out by the upgrade.
    expect(provider({ DATABASE_URL: server, REKEY_SECRET: A }).sessionSecrets()).toEqual([
      createHmac("sha256", A).update("rekey session cookies").digest("hex"),
    ]);
    expect(provider({ DATABASE_URL: server, REKEY_SECRET: A, NEXTAUTH_SECRET: SESSION }).sessionSecrets()).toEqual([SESSION]);
  });

  it("a cookie signed with the previous session secret reads during the overlap, and not after it; one signed with a hashing secret never does", async () => {
    const token = { sid: "session-row-id" };
    const old = await encode({ token, secret: OLD_SESSION });
    const forged = await encode({ token, secret: A });
    process.env.NEXTAUTH_SECRET = SESSION;
    process.env.NEXTAUTH_SECRET_PREVIOUS = OLD_SESSION;
    process.env.REKEY_SECRET = A;
    reloadSecrets();
    const decode = authOptions.jwt!.decode!;
    expect(await decode({ token: old, secret: authOptions.secret! })).toMatchObject(token);
    expect(await decode({ token: forged, secret: authOptions.secret! })).toBeNull();
    expect(authOptions.secret).toBe(SESSION);
    delete process.env.NEXTAUTH_SECRET_PREVIOUS;
    reloadSecrets();
    expect(await decode({ token: old, secret: authOptions.secret! })).toBeNull();
    expect(await decode({ token: await encode({ token, secret: SESSION }), secret: authOptions.secret! })).toMatchObject(token);
  });
});
