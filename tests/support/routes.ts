/**
 * Every operation of the OpenAPI document and the route handler that serves
 * it, keyed "METHOD /path/{param}" as the document names them: the fuzz test
 * sends hostile input to each, and the contract check (./contract.ts) finds
 * which operation a handler answered for.
 */
import { POST as rotateSelf } from "../../app/api/v1/keys/rotate/route";
import { GET as keyStanding } from "../../app/api/v1/keys/self/route";
import { POST as agentReport } from "../../app/api/v1/keys/self/reports/route";
import { POST as verify } from "../../app/api/v1/keys/verify/route";
import { GET as snapshot } from "../../app/api/v1/verifier/snapshot/route";
import { GET as changes } from "../../app/api/v1/verifier/changes/route";
import { POST as usage } from "../../app/api/v1/verifier/usage/route";
import { GET as listOrgs, POST as createOrg } from "../../app/api/v1/organizations/route";
import { GET as listKeys, POST as issueKey } from "../../app/api/v1/keys/route";
import { POST as importKeys } from "../../app/api/v1/keys/import/route";
import { GET as getKey, PATCH as updateKey } from "../../app/api/v1/keys/[id]/route";
import { POST as revokeKey } from "../../app/api/v1/keys/[id]/revoke/route";
import { GET as listRotations, POST as createRotation } from "../../app/api/v1/keys/[id]/rotations/route";
import { DELETE as deleteOrg, GET as getOrg, PATCH as updateOrg } from "../../app/api/v1/organizations/[id]/route";
import { POST as cancel } from "../../app/api/v1/rotations/[id]/cancel/route";
import { POST as rollback } from "../../app/api/v1/rotations/[id]/rollback/route";
import { GET as checkpoints } from "../../app/api/v1/audit/checkpoints/route";
import { GET as checkpointKeys } from "../../app/api/v1/audit/checkpoint-keys/route";
import { GET as listWebhooks, POST as createWebhook } from "../../app/api/v1/webhooks/route";
import { DELETE as deleteWebhook, GET as getWebhook } from "../../app/api/v1/webhooks/[id]/route";
import { POST as rotateWebhookSecret } from "../../app/api/v1/webhooks/[id]/rotate-secret/route";
import { POST as testWebhook } from "../../app/api/v1/webhooks/[id]/test/route";
import { POST as reportLeaks } from "../../app/api/v1/leaks/route";
import { POST as githubLeaks } from "../../app/api/v1/leaks/github/route";

export type Handler = (request: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
export const API_HANDLERS: Record<string, Handler> = {
  "POST /api/v1/keys/rotate": rotateSelf,
  "GET /api/v1/keys/self": keyStanding,
  "POST /api/v1/keys/self/reports": agentReport,
  "POST /api/v1/keys/verify": verify,
  "GET /api/v1/verifier/snapshot": snapshot,
  "GET /api/v1/verifier/changes": changes,
  "POST /api/v1/verifier/usage": usage,
  "GET /api/v1/organizations": listOrgs,
  "POST /api/v1/organizations": createOrg,
  "GET /api/v1/organizations/{id}": getOrg,
  "PATCH /api/v1/organizations/{id}": updateOrg,
  "DELETE /api/v1/organizations/{id}": deleteOrg,
  "GET /api/v1/keys": listKeys,
  "POST /api/v1/keys": issueKey,
  "POST /api/v1/keys/import": importKeys,
  "GET /api/v1/keys/{id}": getKey,
  "PATCH /api/v1/keys/{id}": updateKey,
  "POST /api/v1/keys/{id}/revoke": revokeKey,
  "GET /api/v1/keys/{id}/rotations": listRotations,
  "POST /api/v1/keys/{id}/rotations": createRotation,
  "POST /api/v1/rotations/{id}/cancel": cancel,
  "POST /api/v1/rotations/{id}/rollback": rollback,
  "GET /api/v1/audit/checkpoints": checkpoints,
  "GET /api/v1/audit/checkpoint-keys": checkpointKeys,
  "GET /api/v1/webhooks": listWebhooks,
  "POST /api/v1/webhooks": createWebhook,
  "GET /api/v1/webhooks/{id}": getWebhook,
  "DELETE /api/v1/webhooks/{id}": deleteWebhook,
  "POST /api/v1/webhooks/{id}/rotate-secret": rotateWebhookSecret,
  "POST /api/v1/webhooks/{id}/test": testWebhook,
  "POST /api/v1/leaks": reportLeaks,
  "POST /api/v1/leaks/github": githubLeaks,
};

const OPERATION_OF = new Map<Handler, string>(Object.entries(API_HANDLERS).map(([operation, handler]) => [handler, operation]));

/** "METHOD /path" of the operation `handler` serves, or undefined for a route outside the document (cron, metrics). */
export function operationOf(handler: unknown): string | undefined {
  return OPERATION_OF.get(handler as Handler);
}
