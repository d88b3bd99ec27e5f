import { bodyLimit, jsonNoStore, publicHandler } from "@/lib/http/api-handler";
import { ValidationError } from "@/lib/errors";
import { SYSTEM_GITHUB } from "@/lib/auth/actor";
import { verifyGithubSignature } from "@/lib/leaks/github";
import { leakReportsSchema, reportLeakedKeys } from "@/lib/leaks/report";
import { parseInput } from "@/lib/validation";

/**
 * GitHub secret scanning's partner endpoint: the signature is checked over
 * the raw body before anything is read from it (401 changes nothing); each
 * reported token that is one of rekey's keys is revoked at once. Answers
 * GitHub's feedback format: a label per token, named by its SHA-256.
 */
export const POST = publicHandler(
  async ({ request, readText, now }) => {
    const raw = await readText();
    await verifyGithubSignature(raw, request.headers.get("github-public-key-identifier"), request.headers.get("github-public-key-signature"));
    let reports: unknown;
    try {
      reports = JSON.parse(raw);
    } catch {
      throw new ValidationError("The body must be GitHub's JSON array of { token, type, url, source }.");
    }
    if (!Array.isArray(reports)) throw new ValidationError("The body must be GitHub's JSON array of { token, type, url, source }.");
    const parsed = parseInput(leakReportsSchema, reports);
    const outcomes = await reportLeakedKeys(parsed, "github", { actor: SYSTEM_GITHUB, now });
    return jsonNoStore(outcomes.map((o, i) => ({ token_hash: o.tokenHash, token_type: parsed[i]?.type ?? null, label: o.label })));
  },
  bodyLimit(1024 * 1024),
);
