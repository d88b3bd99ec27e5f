import { z } from "zod";
import { appUrl } from "../app-url";
import { ERROR_CODES } from "../errors";
import { createOrganizationSchema, updateOrganizationSchema } from "../organizations/schemas";
import { issueKeySchema, KEY_LIST_MAX_LIMIT, updateKeySchema } from "../keys/schemas";
import { importLineSchema, MAX_FIRST_LINE, MAX_IMPORT_BATCH } from "../keys/import-schemas";
import { METADATA_MAX_BYTES } from "../validation";
import { CHANGES_PAGE } from "../keys/changes";
import { leakReportsSchema, MAX_LEAK_REPORTS } from "../leaks/report";
import { closeRotationSchema, MAX_GRACE_HOURS, rotationFieldsSchema } from "../rotations/schemas";
import { createWebhookSchema, WEBHOOK_EVENT_TYPES } from "../webhooks/schemas";
import { agentReportSchema } from "../rotations/agent-schemas";

/**
 * The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.
 * Request bodies are generated from the zod schemas the handlers validate
 * with, so the document and the validation cannot drift apart.
 */
const body = (schema: z.ZodType) => {
  // OpenAPI 3.1's schemas are JSON Schema 2020-12 already: no $schema (it may not stand inside a property).
  const { $schema: _, ...jsonSchema } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    target: "draft-2020-12",
    override: (ctx) => {
      const schema = ctx.jsonSchema;
      // A date field (z.coerce.date) is sent as an ISO 8601 date-time string: JSON has no dates.
      if (ctx.zodSchema._zod.def.type === "date") Object.assign(schema, dateTime);
      // z.uuid() checks a pattern: a UUID is also exactly 36 characters.
      if (schema.format === "uuid") schema.maxLength ??= 36;
      // zod bounds every integer (z.int() is a safe integer); say which width that is.
      if (schema.type === "integer" && schema.format === undefined) {
        const int32 = typeof schema.minimum === "number" && typeof schema.maximum === "number" && schema.minimum >= -(2 ** 31) && schema.maximum < 2 ** 31;
        schema.format = int32 ? "int32" : "int64";
      }
    },
  });
  return jsonSchema;
};

/**
 * Strings of a known format have a known length: a UUID is 36 characters, and
 * rekey writes times as JavaScript's toISOString (24; 27 for years past 9999),
 * so 32 bounds every time it sends and every time a client sends that it reads.
 */
const uuid = { type: "string", format: "uuid", maxLength: 36 } as const;
const uuidOrNull = { type: ["string", "null"], format: "uuid", maxLength: 36 } as const;
const dateTime = { type: "string", format: "date-time", maxLength: 32 } as const;
const dateTimeOrNull = { type: ["string", "null"], format: "date-time", maxLength: 32 } as const;

/**
 * A full key is at most 32 characters of prefix, 87 of base62 (64 random
 * bytes) and 6 of checksum (lib/keys/key-format.ts): under 128.
 */
const MAX_KEY_LENGTH = 128;

const retryAfter = { description: "Seconds to wait.", schema: { type: "integer", format: "int32", minimum: 1, maximum: 86_400 } } as const;

/** Operations limited per address and key rather than per token, whose answers carry QUOTA_HEADERS too (app/api/v1/keys/rotate). */
const QUOTA_OPERATIONS = new Set(["selfRotateKey", "getKeyStanding", "reportAgentDelivery"]);

/** What every answer to a limited token says about its standing (lib/http/api-handler.ts, withTokenQuota). */
const QUOTA_HEADERS = {
  "RateLimit-Limit": {
    description:
      "Requests this token (for self-rotation: this address) may make in a minute. The RateLimit headers are on every answer once the token is recognised.",
    schema: { type: "integer", format: "int32", minimum: 1, maximum: 1_000_000 },
  },
  "RateLimit-Remaining": {
    description: "Requests left in this minute.",
    schema: { type: "integer", format: "int32", minimum: 0, maximum: 1_000_000 },
  },
  "RateLimit-Reset": { description: "Seconds until the count starts again.", schema: { type: "integer", format: "int32", minimum: 1, maximum: 60 } },
} as const;

/** A whole number from 0 to `max`. */
const count = (max: number) => ({ type: "integer", format: "int32", minimum: 0, maximum: max }) as const;

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: {
          type: "string",
          enum: [...ERROR_CODES],
        },
        message: { type: "string", maxLength: 2000, description: "Says what is wrong, for a person." },
        field: { type: "string", maxLength: 200, description: "The request field at fault, for invalid_request." },
      },
    },
  },
};
const err = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
const errors = {
  "400": err("Bad input: the message names the field."),
  "401": err("No or unknown management token."),
  "404": err("No such object."),
  "409": err("Conflict with the current state (e.g. the key already has an open rotation)."),
  "413": err("A body over 64 KB."),
};

const keySchema = {
  type: "object",
  properties: {
    id: { ...uuid },
    organizationId: { ...uuid },
    name: { type: "string", maxLength: 200 },
    environment: { type: "string", enum: ["live", "test"] },
    prefix: { type: "string", maxLength: 64, description: "Display prefix (fingerprint), e.g. rk_live_4fQ9xZ2a. Never the key." },
    scopes: { type: "array", maxItems: 100, items: { type: "string", maxLength: 64 } },
    rateLimit: { type: "integer", format: "int32", minimum: 1, maximum: 1_000_000, description: "Requests per minute." },
    status: { type: "string", enum: ["active", "expiring", "revoked", "expired"] },
    createdAt: { ...dateTime },
    lastUsedAt: { ...dateTimeOrNull },
    revokedAt: { ...dateTimeOrNull },
    expiresAt: { ...dateTimeOrNull },
    predecessorId: { ...uuidOrNull },
    externalId: { type: ["string", "null"], maxLength: 255, description: "The API company's own id for the key, unique per installation." },
    metadata: { type: "object", description: `The API company's JSON object, at most ${METADATA_MAX_BYTES} bytes serialized; returned by verify.` },
  },
};

const importResultSchema = {
  type: "object",
  required: ["imported", "unchanged", "refused", "organizationsCreated", "dryRun", "lines"],
  properties: {
    imported: count(MAX_IMPORT_BATCH),
    unchanged: count(MAX_IMPORT_BATCH),
    refused: count(MAX_IMPORT_BATCH),
    organizationsCreated: count(MAX_IMPORT_BATCH),
    dryRun: { type: "boolean" },
    lines: {
      type: "array",
      maxItems: MAX_IMPORT_BATCH,
      items: {
        type: "object",
        required: ["line", "status"],
        properties: {
          line: { type: "integer", format: "int32", minimum: 1, maximum: 2 ** 31 - 1, description: "The file line (firstLine + the index in keys)." },
          status: { type: "string", enum: ["imported", "unchanged", "refused"] },
          keyId: { ...uuid },
          prefix: { type: "string", maxLength: 64 },
          organizationId: { ...uuid },
          error: { type: "string", maxLength: 2000, description: "Why the line was refused." },
        },
      },
    },
  },
};

const organizationSchema = {
  type: "object",
  properties: {
    id: { ...uuid },
    name: { type: "string", maxLength: 200 },
    contactEmails: { type: "array", maxItems: 50, items: { type: "string", format: "email", maxLength: 320 } },
    timeZone: { type: "string", maxLength: 100 },
    policyId: { ...uuidOrNull, description: "null: the default policy." },
    externalId: { type: ["string", "null"], maxLength: 255, description: "The API company's own id for the customer, unique per installation." },
    metadata: { type: "object", description: `The API company's JSON object, at most ${METADATA_MAX_BYTES} bytes serialized; returned by verify.` },
    createdAt: { ...dateTime },
  },
};

const webhookSchema = {
  type: "object",
  properties: {
    id: { ...uuid },
    organizationId: { ...uuidOrNull, description: "null: every organization's events (and alerts)." },
    url: { type: "string", maxLength: 2000 },
    description: { type: "string", maxLength: 200 },
    format: { type: "string", enum: ["standard", "slack"] },
    events: {
      type: "array",
      maxItems: WEBHOOK_EVENT_TYPES.length,
      items: { type: "string", enum: [...WEBHOOK_EVENT_TYPES] },
      description: "Empty: every event type.",
    },
    createdAt: { ...dateTime },
    createdBy: { type: "string", maxLength: 200, description: "Who: user:<id>, token:<id>, system." },
    previousSecretUntil: {
      ...dateTimeOrNull,
      description: "Until then deliveries are also signed with the secret before the last rotation.",
    },
    failingSince: { ...dateTimeOrNull },
    disabledAt: { ...dateTimeOrNull },
    disabledReason: { type: ["string", "null"], maxLength: 1000 },
  },
};

const webhookDeliverySchema = {
  type: "object",
  properties: {
    id: { type: "string", maxLength: 100, description: "The webhook-id header of every attempt (msg_…)." },
    endpointId: { ...uuid },
    eventType: { type: "string", maxLength: 100 },
    keyId: { ...uuidOrNull },
    status: { type: "string", enum: ["pending", "sent", "failed"] },
    attempts: count(2 ** 31 - 1),
    nextAttemptAt: { ...dateTime },
    lastAttemptAt: { ...dateTimeOrNull },
    lastStatusCode: { type: ["integer", "null"], format: "int32", minimum: 100, maximum: 599 },
    lastLatencyMs: { type: ["integer", "null"], format: "int32", minimum: 0, maximum: 2 ** 31 - 1 },
    lastError: { type: ["string", "null"], maxLength: 500 },
    sentAt: { ...dateTimeOrNull },
    createdAt: { ...dateTime },
  },
};

/** Every management POST takes it (lib/http/idempotency.ts). */
const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
  description:
    "Makes a retry safe: the first request with this key (per token) is carried out and its answer kept for 24 hours; a retry with the same key and the same request gets that answer again, with `Idempotent-Replayed: true` (a full key shown in the first answer is not in a replay: it is never stored); the same key with another request is a 409, and so is a retry while the first is still under way after 10 s.",
};
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", minLength: 1, maxLength: 255 } };
const json = (schema: unknown) => ({ "application/json": { schema } });

const rotationSchema = {
  type: "object",
  properties: {
    id: { ...uuid },
    keyId: { ...uuid },
    successorId: { ...uuidOrNull },
    successor: { type: ["object", "null"], properties: { prefix: { type: "string", maxLength: 64 } } },
    kind: { type: "string", enum: ["scheduled", "manual", "emergency"] },
    state: { type: "string", enum: ["scheduled", "grace", "completed", "cancelled", "rolled_back", "failed"] },
    deliver: { type: "string", enum: ["portal", "response"] },
    reason: { type: ["string", "null"], maxLength: 1000 },
    gracePeriodHours: { type: "integer", format: "int32", minimum: 0, maximum: MAX_GRACE_HOURS },
    scheduledAt: { ...dateTime },
    startedAt: { ...dateTimeOrNull },
    graceEndsAt: { ...dateTimeOrNull, description: "The grace deadline: the old key stops working then." },
    completedAt: { ...dateTimeOrNull },
    cancelledAt: { ...dateTimeOrNull },
    rolledBackAt: { ...dateTimeOrNull },
    createdBy: { type: "string", maxLength: 200, description: "Who: user:<id>, token:<id>, system." },
    createdAt: { ...dateTime },
  },
};

const closeBody = { content: { "application/json": { schema: body(closeRotationSchema.omit({ rotationId: true })) } } };

/**
 * Answers that every operation can give, added where the operation does not
 * describe them itself: a body past the route's limit (413: every route has
 * one, lib/http/api-handler.ts), anything unexpected (500, a fixed message,
 * logged), an id in the path that does not decode (400) or names nothing
 * (404), and a missing or unknown token where the operation takes one (401).
 */
function withCommonResponses<T extends object>(paths: T): T {
  for (const [path, methods] of Object.entries(paths)) {
    for (const op of Object.values(
      methods as Record<string, { operationId?: string; security?: Record<string, unknown>[]; responses: Record<string, unknown> }>,
    )) {
      const add = (status: string, response: unknown) => {
        op.responses[status] ??= response;
      };
      if (path.includes("{id}")) {
        add("400", err("Bad input: the message names the field (or the path does not decode)."));
        add("404", err("No such object."));
      }
      if (op.security?.some((requirement) => Object.keys(requirement).length > 0)) add("401", err("No token, or one that is unknown or revoked."));
      add("413", err("A body over this operation's limit (64 KB unless said otherwise)."));
      add("500", err("Something failed on rekey's side: it is logged, and the answer says nothing more."));
      // Management and verifier tokens are limited per token (lib/http/api-handler.ts); verification is not.
      const limited =
        (!!op.security?.length && op.security.every((r) => "managementToken" in r || "verifierToken" in r)) ||
        (op.operationId !== undefined && QUOTA_OPERATIONS.has(op.operationId));
      if (limited) {
        add("429", { ...err("Past the token's limit (REKEY_MANAGEMENT_RATE_LIMIT a minute); see `Retry-After`."), headers: { "Retry-After": retryAfter } });
        for (const [status, response] of Object.entries(op.responses)) {
          if (/^[24]/.test(status)) {
            const r = response as { headers?: Record<string, unknown> };
            op.responses[status] = { ...r, headers: { ...QUOTA_HEADERS, ...r.headers } };
          }
        }
      }
    }
  }
  return paths;
}

const TAGS = [
  { name: "Verification", description: "For the API company's servers and their in-process verifiers: is this key valid, and every key's record." },
  { name: "Keys", description: "Issue, import, change, search and revoke keys; a key rotating itself." },
  { name: "Rotations", description: "Schedule, start, cancel and roll back rotations." },
  { name: "Organizations", description: "The API company's customers, each with its contacts, time zone and policy." },
  { name: "Webhooks", description: "Endpoints that receive rekey's events, signed as Standard Webhooks." },
  { name: "Leaks", description: "Reports of leaked keys, from GitHub's secret scanning or any scanner: each key found is revoked at once." },
  { name: "Audit", description: "The signed checkpoints of the audit chain, for an auditor's own verifier." },
];

const document = {
  openapi: "3.1.0",
  info: {
    title: "rekey API",
    version: "1.0.0",
    description:
      "Verification for the API company's servers, and management of organizations, keys and rotations for its automation. A full key appears only in the one response that creates it.",
    // The package is private: no licence is granted (SPDX's way to say so).
    license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
  },
  tags: TAGS,
  components: {
    securitySchemes: {
      managementToken: { type: "http", scheme: "bearer", description: "A management token (rkm_mgmt_…) created by an admin, or REKEY_BOOTSTRAP_TOKEN." },
      apiKey: { type: "http", scheme: "bearer", description: "The customer's own API key (rk_live_… or rk_test_…): for self-rotation." },
      verifierToken: { type: "http", scheme: "bearer", description: "REKEY_VERIFY_TOKEN: reads verification records, nothing else." },
      githubSignature: {
        type: "apiKey",
        in: "header",
        name: "Github-Public-Key-Signature",
        description:
          "GitHub's ECDSA P-256 SHA-256 signature over the raw body (DER, base64), checked against the key `Github-Public-Key-Identifier` names in GitHub's published list.",
      },
    },
    schemas: {
      Error: errorSchema,
      Key: keySchema,
      Rotation: rotationSchema,
      Organization: organizationSchema,
      ImportResult: importResultSchema,
      Webhook: webhookSchema,
      WebhookDelivery: webhookDeliverySchema,
    },
  },
  paths: withCommonResponses({
    "/api/v1/keys/rotate": {
      post: {
        operationId: "selfRotateKey",
        tags: ["Keys"],
        summary: "Rotate the calling key (self-rotation)",
        description:
          "For unattended clients: the key in `Authorization: Bearer` obtains its successor, returned once in `successorKey` and never again. This starts a manual rotation with the organization's policy grace: both keys work until `rotation.graceEndsAt`, after which the old key is revoked. A rotation only scheduled for this key is replaced by this one. Refused for a key under emergency rotation (it may be leaked: its successor is only given out in the portal), for a revoked or expired key, and for a key whose rotation is already under way (its successor was already issued once). Limited to 3 calls per key and 20 per address per minute on each instance.",
        security: [{ apiKey: [] }],
        responses: {
          "201": {
            description: "The rotation started; the successor key is in this response only.",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["successorKey", "successor", "rotation", "oldKey"],
                  properties: {
                    successorKey: { type: "string", maxLength: MAX_KEY_LENGTH, example: "rk_live_…", description: "The new key, shown this once." },
                    successor: { type: "object", properties: { id: { ...uuid }, prefix: { type: "string", maxLength: 64 } } },
                    rotation: {
                      type: "object",
                      properties: {
                        id: { ...uuid },
                        kind: { const: "manual" },
                        state: { const: "grace" },
                        startedAt: { ...dateTime },
                        graceEndsAt: { ...dateTime },
                      },
                    },
                    oldKey: {
                      type: "object",
                      properties: { id: { ...uuid }, status: { const: "expiring" }, worksUntil: { ...dateTime } },
                    },
                  },
                },
              },
            },
          },
          "401": err("No key, or a key that is unknown, revoked or expired."),
          "403": err("The key is under emergency rotation: it cannot obtain its successor."),
          "409": err("A rotation of this key is already under way: its successor was issued once."),
          "429": { ...err("Too many calls; see `Retry-After`."), headers: { "Retry-After": retryAfter } },
        },
      },
    },
    "/api/v1/keys/self": {
      get: {
        operationId: "getKeyStanding",
        tags: ["Keys"],
        summary: "The calling key's standing: is it due for rotation",
        description:
          "For the agent (`npm run agent`) and any unattended client: the key in `Authorization: Bearer` learns its age against its policy, its open rotation, and what to do. `action` is `rotate` when it should rotate itself now (its rotation is scheduled, or in grace with nobody holding the successor, or it is within the policy's notice of its max age), `wait` when it is not due (until `dueAt`), and `portal` when it cannot obtain a successor itself (emergency rotation, or the successor already issued): a person reveals it in the portal. Limited to 30 calls per key and 60 per address per minute.",
        security: [{ apiKey: [] }],
        responses: {
          "200": {
            description: "The key's standing.",
            content: json({
              type: "object",
              required: ["key", "policy", "maxAgeAt", "dueAt", "due", "action", "reason", "rotation", "successorOf"],
              properties: {
                key: {
                  type: "object",
                  required: ["id", "prefix", "status", "environment", "createdAt", "expiresAt"],
                  properties: {
                    id: { ...uuid },
                    prefix: { type: "string", maxLength: 64 },
                    status: { type: "string", enum: ["active", "expiring"] },
                    environment: { type: "string", enum: ["live", "test"] },
                    createdAt: { ...dateTime },
                    expiresAt: { ...dateTimeOrNull },
                  },
                },
                policy: {
                  type: "object",
                  required: ["maxAgeDays", "noticeDays", "gracePeriodHours"],
                  properties: { maxAgeDays: count(100_000), noticeDays: count(1000), gracePeriodHours: count(MAX_GRACE_HOURS) },
                },
                maxAgeAt: { ...dateTime, description: "When the key reaches its policy's max age." },
                dueAt: { ...dateTime, description: "From when the key is due: its max age less the policy's notice." },
                due: { type: "boolean" },
                action: { type: "string", enum: ["rotate", "wait", "portal"] },
                reason: { type: "string", maxLength: 1000, description: "Why, in words, with the dates." },
                rotation: {
                  type: ["object", "null"],
                  description: "The key's open rotation, if any.",
                  required: ["id", "kind", "state", "scheduledAt", "graceEndsAt", "successorIssued"],
                  properties: {
                    id: { ...uuid },
                    kind: { type: "string", enum: ["scheduled", "manual", "emergency"] },
                    state: { type: "string", enum: ["scheduled", "grace"] },
                    scheduledAt: { ...dateTime },
                    graceEndsAt: { ...dateTimeOrNull },
                    successorIssued: { type: "boolean" },
                  },
                },
                successorOf: {
                  type: ["object", "null"],
                  description: "When this key is the new key of a rotation in grace: that rotation and the old key's prefix.",
                  required: ["rotationId", "keyPrefix", "graceEndsAt"],
                  properties: { rotationId: { ...uuid }, keyPrefix: { type: "string", maxLength: 64 }, graceEndsAt: { ...dateTimeOrNull } },
                },
              },
            }),
          },
          "401": err("No key, or a key that is unknown, revoked or expired."),
          "429": { ...err("Too many calls; see `Retry-After`."), headers: { "Retry-After": retryAfter } },
        },
      },
    },
    "/api/v1/keys/self/reports": {
      post: {
        operationId: "reportAgentDelivery",
        tags: ["Keys"],
        summary: "Report how delivering a new key went (the agent)",
        description:
          "The agent reports, with the new key once it delivered it and its check passed (`delivered`), or with the old key when a destination or the check failed (`failed`, naming it in `failedAt`). The report is about the rotation in grace whose new key is the calling key, else the calling key's open rotation. It shows on the key's page and in the portal; a failure raises an alert. Destinations are names (`file:/etc/app/key`, `dotenv:/srv/.env#API_KEY`, `exec:vault`), never a key: anything shaped like one is cut to its prefix. Limited to 10 calls per key and 20 per address per minute.",
        security: [{ apiKey: [] }],
        requestBody: { required: true, content: json(body(agentReportSchema)) },
        responses: {
          "201": {
            description: "Recorded.",
            content: json({
              type: "object",
              required: ["id", "rotationId", "outcome", "destinations", "failedAt", "message", "reportedAt"],
              properties: {
                id: { ...uuid },
                rotationId: { ...uuid },
                outcome: { type: "string", enum: ["delivered", "failed"] },
                destinations: { type: "array", maxItems: 50, items: { type: "string", maxLength: 300 } },
                failedAt: { type: ["string", "null"], maxLength: 300 },
                message: { type: ["string", "null"], maxLength: 1000 },
                reportedAt: { ...dateTime },
              },
            }),
          },
          "400": err("Bad input: the message names the field."),
          "401": err("No key, or a key that is unknown, revoked or expired."),
          "404": err("The key has no rotation under way to report on."),
          "429": { ...err("Too many calls; see `Retry-After`."), headers: { "Retry-After": retryAfter } },
        },
      },
    },
    "/api/v1/keys/verify": {
      post: {
        operationId: "verifyKey",
        tags: ["Verification"],
        summary: "Verify a key",
        security: [{}, { verifierToken: [] }],
        description:
          "Answers whether a key is valid. During a rotation's grace both keys verify; the old one answers `deprecated: true` with the deadline and the successor's prefix, and the response carries `Deprecation` (RFC 9745) and `Sunset` (RFC 8594) headers to pass on to the client. Invalid keys answer `valid: false` with a code. Malformed keys (bad shape or checksum) are refused without a database lookup.",
        requestBody: {
          description: "The key, here or as `Authorization: Bearer <key>` (with REKEY_VERIFY_TOKEN set on the server: here, and the token as the bearer).",
          content: { "application/json": { schema: { type: "object", properties: { key: { type: "string", maxLength: 1024, example: "rk_live_…" } } } } },
        },
        responses: {
          "200": {
            description: "The verdict.",
            headers: {
              Deprecation: {
                description: "Only for a deprecated key: when its rotation started, as @<unix seconds>.",
                schema: { type: "string", maxLength: 20 },
              },
              Sunset: { description: "Only for a deprecated key: its grace deadline (HTTP date).", schema: { type: "string", maxLength: 29 } },
            },
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    {
                      type: "object",
                      required: [
                        "valid",
                        "keyId",
                        "organizationId",
                        "environment",
                        "scopes",
                        "rateLimit",
                        "externalId",
                        "metadata",
                        "organizationExternalId",
                        "organizationMetadata",
                        "deprecated",
                      ],
                      properties: {
                        valid: { const: true },
                        keyId: { ...uuid },
                        organizationId: { ...uuid },
                        environment: { type: "string", enum: ["live", "test"] },
                        scopes: { type: "array", maxItems: 100, items: { type: "string", maxLength: 64 } },
                        rateLimit: { type: "integer", format: "int32", minimum: 1, maximum: 1_000_000 },
                        externalId: { type: ["string", "null"], maxLength: 255, description: "The API company's id for the key." },
                        metadata: { type: "object", description: "The API company's metadata of the key." },
                        organizationExternalId: {
                          type: ["string", "null"],
                          maxLength: 255,
                          description: "The API company's id for the key's organization: its customer.",
                        },
                        organizationMetadata: { type: "object", description: "The API company's metadata of the organization." },
                        deprecated: { type: "boolean" },
                        deprecatedAt: { ...dateTime },
                        graceEndsAt: { ...dateTime },
                        successorPrefix: { type: ["string", "null"], maxLength: 64 },
                      },
                    },
                    {
                      type: "object",
                      required: ["valid", "code"],
                      properties: { valid: { const: false }, code: { type: "string", enum: ["malformed", "unknown", "revoked", "expired"] } },
                    },
                  ],
                },
              },
            },
          },
          "400": err("No key sent."),
          "401": err("REKEY_VERIFY_TOKEN is set on the server and the caller did not send it."),
          "413": err("A body over 8 KB."),
          "503": err("rekey is re-applying revocations after a restore from backup (`unavailable`): no key is confirmed until it is done."),
        },
      },
    },
    "/api/v1/verifier/snapshot": {
      get: {
        operationId: "getVerifierSnapshot",
        tags: ["Verification"],
        summary: "Every key's verification record (for in-process verifiers)",
        description:
          "NDJSON: a header line with the cursor to follow `/api/v1/verifier/changes` from, one record per key (keyed hash and metadata, never a key), and an end line with the count. docs/verifier-protocol.md",
        security: [{ verifierToken: [] }, { managementToken: [] }],
        responses: {
          "200": { description: "The snapshot, streamed.", content: { "application/x-ndjson": {} } },
          "401": err("No valid token."),
          "503": err("A restore from backup is re-applying revocations: try again shortly."),
        },
      },
    },
    "/api/v1/verifier/changes": {
      get: {
        operationId: "listVerifierChanges",
        tags: ["Verification"],
        summary: "Records changed after a cursor (a long poll)",
        description:
          "The verification records that changed after `cursor`, and the next cursor. With nothing new it answers after up to `wait` seconds (0 to 25, default 20), so an in-process verifier hears of a revocation within a second of it. 410 when the cursor is older than the stream keeps: load a new snapshot. docs/verifier-protocol.md.",
        security: [{ verifierToken: [] }, { managementToken: [] }],
        parameters: [
          { name: "cursor", in: "query", required: true, schema: { type: "string", maxLength: 100 } },
          {
            name: "wait",
            in: "query",
            required: false,
            schema: { type: "integer", format: "int32", minimum: 0, maximum: 25, default: 20 },
            description: "Seconds to wait for a change when there is none.",
          },
        ],
        responses: {
          "200": {
            description: "The changes, the next cursor, and whether to load a new snapshot (`reset`) or ask again at once (`more`).",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["cursor", "changes", "reset", "more"],
                  properties: {
                    cursor: { type: "string", maxLength: 100 },
                    changes: {
                      type: "array",
                      maxItems: CHANGES_PAGE,
                      items: {
                        type: "object",
                        required: ["hash", "record"],
                        properties: { hash: { type: "string", maxLength: 200 }, record: { type: ["object", "null"] } },
                      },
                    },
                    reset: { type: "boolean" },
                    more: { type: "boolean" },
                  },
                },
              },
            },
          },
          "400": err("Not a cursor."),
          "401": err("No valid token."),
          "410": err("The cursor is older than the stream keeps, or was handed out before a restore from backup: load a new snapshot."),
          "503": err("A restore from backup is re-applying revocations: try again shortly."),
        },
      },
    },
    "/api/v1/verifier/usage": {
      post: {
        operationId: "reportVerifierUsage",
        tags: ["Verification"],
        summary: "Usage counted by an in-process verifier",
        description:
          "An in-process verifier's counts per key and hour (verifications, rejections, first and last use) and per result, merged into rekey's own: they feed last-used times, the charts, the alerts and the extension rule. 204 with no body.",
        security: [{ verifierToken: [] }, { managementToken: [] }],
        requestBody: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["keys", "results"],
                properties: {
                  keys: {
                    type: "array",
                    maxItems: 50000,
                    items: {
                      type: "object",
                      required: ["keyId", "hour", "verifications", "rejected"],
                      properties: {
                        keyId: { type: "string", maxLength: 255 },
                        hour: { ...dateTime },
                        verifications: count(2 ** 31 - 1),
                        rejected: count(2 ** 31 - 1),
                        firstUsedAt: { ...dateTime },
                        lastUsedAt: { ...dateTime },
                      },
                    },
                  },
                  results: {
                    type: "array",
                    maxItems: 10000,
                    items: {
                      type: "object",
                      required: ["hour", "result", "count"],
                      properties: {
                        hour: { ...dateTime },
                        result: { type: "string", enum: ["valid", "deprecated", "revoked", "expired", "unknown", "malformed"] },
                        count: count(2 ** 31 - 1),
                      },
                    },
                  },
                },
              },
            },
          },
        },
        responses: {
          "204": { description: "Counted; written with the next batch." },
          "400": err("A malformed report."),
          "401": err("No valid token."),
          "413": err("A body over 16 MB."),
        },
      },
    },
    "/api/v1/audit/checkpoints": {
      get: {
        operationId: "listAuditCheckpoints",
        tags: ["Audit"],
        summary: "Signed checkpoints of the audit chain",
        description:
          "The newest 100 checkpoints, newest first: an Ed25519 signature by this installation's key over the RFC 8785 canonical JSON of `statement` (the chain head's seq, hash and time). Public: no secret in them; keep copies outside rekey and check an export against one with `npm run audit:verify -- FILE --checkpoint FILE`. docs/audit-chain.md",
        security: [],
        responses: {
          "200": {
            description: "The checkpoints.",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["checkpoints"],
                  properties: {
                    checkpoints: {
                      type: "array",
                      maxItems: 100,
                      items: {
                        type: "object",
                        required: ["statement", "keyId", "publicKey", "signature"],
                        properties: {
                          statement: {
                            type: "object",
                            required: ["type", "version", "seq", "hash", "at"],
                            properties: {
                              type: { const: "rekey.audit.checkpoint" },
                              version: { const: 1 },
                              seq: { type: "string", maxLength: 20, pattern: "^[0-9]+$" },
                              hash: { type: "string", maxLength: 128 },
                              at: { ...dateTime },
                            },
                          },
                          keyId: { type: "string", maxLength: 100 },
                          publicKey: { type: "string", maxLength: 44, description: "The raw 32-byte Ed25519 public key, base64." },
                          signature: { type: "string", maxLength: 88, description: "base64" },
                          reason: { type: "string", enum: ["cron", "report"] },
                          signedAt: { ...dateTime },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    "/api/v1/audit/checkpoint-keys": {
      get: {
        operationId: "listAuditCheckpointKeys",
        tags: ["Audit"],
        summary: "The keys that sign audit checkpoints",
        description: "Also at /.well-known/rekey-checkpoint-keys.json. Pin the key id you trust.",
        security: [],
        responses: {
          "200": {
            description: "The keys, the current one marked.",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["keys"],
                  properties: {
                    keys: {
                      type: "array",
                      items: {
                        type: "object",
                        properties: {
                          keyId: { type: "string", maxLength: 100 },
                          publicKey: { type: "string", maxLength: 44 },
                          algorithm: { const: "Ed25519" },
                          current: { type: "boolean" },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    "/api/v1/organizations": {
      get: {
        operationId: "listOrganizations",
        tags: ["Organizations"],
        summary: "List organizations",
        description: "Every organization, by name, with its contacts, time zone and policy (null: the default policy).",
        security: [{ managementToken: [] }],
        responses: {
          "200": {
            description: "The organizations.",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    organizations: {
                      type: "array",
                      items: { $ref: "#/components/schemas/Organization" },
                    },
                  },
                },
              },
            },
          },
          "401": errors["401"],
        },
      },
      post: {
        operationId: "createOrganization",
        tags: ["Organizations"],
        summary: "Create an organization",
        description:
          "A customer organization, with its rotation policy and contacts (the addresses rotation notices go to). Audited. With `Idempotency-Key`, a retry answers the first result.",
        security: [{ managementToken: [] }],
        parameters: [idempotencyKey],
        requestBody: { required: true, content: { "application/json": { schema: body(createOrganizationSchema) } } },
        responses: { "201": { description: "Created.", content: json({ $ref: "#/components/schemas/Organization" }) }, ...errors },
      },
    },
    "/api/v1/organizations/{id}": {
      get: {
        operationId: "getOrganization",
        tags: ["Organizations"],
        summary: "An organization, with its keys counted by status",
        description: "The organization, its policy and contacts, and how many of its keys are active, expiring, revoked and expired.",
        security: [{ managementToken: [] }],
        parameters: [idParam],
        responses: {
          "200": {
            description: "The organization.",
            content: json({
              allOf: [
                { $ref: "#/components/schemas/Organization" },
                { type: "object", properties: { keysByStatus: { type: "object", additionalProperties: count(2 ** 31 - 1) } } },
              ],
            }),
          },
          ...errors,
        },
      },
      patch: {
        operationId: "updateOrganization",
        tags: ["Organizations"],
        summary: "Change an organization",
        description:
          "Any of name, contactEmails (replaced as a whole; at least one), timeZone, policyId (null: the default policy), externalId (null clears it), metadata. Audited as `organization.updated`; verify answers carry the new external id and metadata at once.",
        security: [{ managementToken: [] }],
        parameters: [idParam],
        requestBody: { required: true, content: json(body(updateOrganizationSchema)) },
        responses: { "200": { description: "Changed.", content: json({ $ref: "#/components/schemas/Organization" }) }, ...errors },
      },
      delete: {
        operationId: "deleteOrganization",
        tags: ["Organizations"],
        summary: "Delete an organization",
        description:
          "Refused (409) while it has keys in use, unless `revokeKeys=true`, which revokes each of them and its family in the same transaction. The organization leaves every list; its history stays in the audit trail and the reports, and its external id is released.",
        security: [{ managementToken: [] }],
        parameters: [idParam, { name: "revokeKeys", in: "query", required: false, schema: { type: "string", enum: ["true", "false"], default: "false" } }],
        responses: {
          "200": {
            description: "Deleted.",
            content: json({
              type: "object",
              required: ["id", "deleted", "keysRevoked"],
              properties: { id: { ...uuid }, deleted: { const: true }, keysRevoked: { type: "array", items: { ...uuid } } },
            }),
          },
          ...errors,
        },
      },
    },
    "/api/v1/leaks": {
      post: {
        operationId: "reportLeaks",
        tags: ["Leaks"],
        summary: "Report leaked keys",
        description:
          "For scanners and processes other than GitHub's: each token that is one of rekey's keys is revoked at once with every key minted from it (an emergency rotation with no grace: the customer reveals a replacement in the portal and is emailed), with a `key.leaked` event and a critical alert. Tokens are only hashed, never stored or answered: each result names its token by SHA-256.",
        security: [{ managementToken: [] }],
        parameters: [idempotencyKey],
        requestBody: {
          required: true,
          content: json({
            type: "object",
            required: ["tokens"],
            properties: {
              tokens: {
                type: "array",
                ...body(leakReportsSchema),
              },
            },
          }),
        },
        responses: {
          "200": {
            description: "What became of each token, in order.",
            content: json({
              type: "object",
              properties: {
                results: {
                  type: "array",
                  maxItems: MAX_LEAK_REPORTS,
                  items: {
                    type: "object",
                    required: ["tokenHash", "label"],
                    properties: {
                      tokenHash: { type: "string", maxLength: 64, description: "SHA-256 of the token, hex." },
                      label: { type: "string", enum: ["true_positive", "false_positive"] },
                      keyId: { ...uuid },
                      prefix: { type: "string", maxLength: 64 },
                      organizationId: { ...uuid },
                      action: { type: "string", enum: ["revoked", "already_revoked"] },
                    },
                  },
                },
              },
            }),
          },
          ...errors,
        },
      },
    },
    "/api/v1/leaks/github": {
      post: {
        operationId: "reportGithubLeaks",
        tags: ["Leaks"],
        summary: "GitHub secret scanning partner endpoint",
        description:
          "Called by GitHub when it finds one of rekey's keys in public: `Github-Public-Key-Signature` (ECDSA P-256 SHA-256 over the raw body, DER, base64) is checked against the key named by `Github-Public-Key-Identifier` from GitHub's published list (REKEY_GITHUB_KEYS_URL). A bad signature is a 401 and changes nothing. Each reported token of ours is revoked at once as for POST /api/v1/leaks. Answers GitHub's feedback format.",
        security: [{ githubSignature: [] }],
        parameters: [{ name: "Github-Public-Key-Identifier", in: "header", required: true, schema: { type: "string", maxLength: 200 } }],
        requestBody: {
          required: true,
          content: json(body(leakReportsSchema)),
        },
        responses: {
          "200": {
            description: "A label per reported token, named by its SHA-256.",
            content: json({
              type: "array",
              maxItems: MAX_LEAK_REPORTS,
              items: {
                type: "object",
                required: ["token_hash", "label"],
                properties: {
                  token_hash: { type: "string", maxLength: 64 },
                  token_type: { type: ["string", "null"], maxLength: 200 },
                  label: { type: "string", enum: ["true_positive", "false_positive"] },
                },
              },
            }),
          },
          "400": errors["400"],
          "401": err("No signature, or one that GitHub's keys do not verify."),
          "413": err("A body over 1 MB."),
        },
      },
    },
    "/api/v1/webhooks": {
      get: {
        operationId: "listWebhooks",
        tags: ["Webhooks"],
        summary: "List webhook endpoints",
        description: "Every endpoint (or one organization's), with its deliveries counted by status. Never a secret.",
        security: [{ managementToken: [] }],
        parameters: [{ name: "organizationId", in: "query", required: false, schema: { type: "string", maxLength: 100 } }],
        responses: {
          "200": {
            description: "The endpoints.",
            content: json({ type: "object", properties: { webhooks: { type: "array", items: { $ref: "#/components/schemas/Webhook" } } } }),
          },
          ...errors,
        },
      },
      post: {
        operationId: "createWebhook",
        tags: ["Webhooks"],
        summary: "Register a webhook endpoint",
        description:
          "Deliveries follow the Standard Webhooks specification: headers `webhook-id` (the same on every attempt: dedupe on it), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>`), body `{ type, timestamp, data }`; verify with the `standardwebhooks` or `svix` libraries and the secret answered here, once. `organizationId` absent or null: every organization's events and alerts; else that organization's events. `events` empty or absent: every type. `format: slack` posts alerts to a Slack incoming webhook. The URL must be https and public (private and loopback addresses are refused, when registered and when sent). Audited.",
        security: [{ managementToken: [] }],
        parameters: [idempotencyKey],
        requestBody: { required: true, content: json(body(createWebhookSchema)) },
        responses: {
          "201": {
            description: "Registered. `secret` is shown this once (null for Slack); an idempotent replay leaves it out, as it is never stored.",
            content: json({
              type: "object",
              required: ["webhook"],
              properties: { webhook: { $ref: "#/components/schemas/Webhook" }, secret: { type: ["string", "null"], maxLength: 100, pattern: "^whsec_" } },
            }),
          },
          ...errors,
        },
      },
    },
    "/api/v1/webhooks/{id}": {
      get: {
        operationId: "getWebhook",
        tags: ["Webhooks"],
        summary: "A webhook endpoint and its delivery log",
        description:
          "The endpoint (never its signing secret) and its most recent deliveries: event, attempts, the answer's status and when the next retry is due.",
        security: [{ managementToken: [] }],
        parameters: [idParam],
        responses: {
          "200": {
            description: "The endpoint and its latest 50 deliveries, newest first.",
            content: json({
              type: "object",
              properties: {
                webhook: { $ref: "#/components/schemas/Webhook" },
                deliveries: { type: "array", maxItems: 200, items: { $ref: "#/components/schemas/WebhookDelivery" } },
              },
            }),
          },
          ...errors,
        },
      },
      delete: {
        operationId: "deleteWebhook",
        tags: ["Webhooks"],
        summary: "Delete a webhook endpoint",
        description: "With its delivery log; deliveries not yet sent are dropped. Audited.",
        security: [{ managementToken: [] }],
        parameters: [idParam],
        responses: {
          "200": { description: "Deleted.", content: json({ type: "object", properties: { id: { ...uuid }, deleted: { const: true } } }) },
          ...errors,
        },
      },
    },
    "/api/v1/webhooks/{id}/rotate-secret": {
      post: {
        operationId: "rotateWebhookSecret",
        tags: ["Webhooks"],
        summary: "Rotate a webhook endpoint's signing secret",
        description:
          "Answers the new secret once. For 24 hours every delivery carries two signatures (new and previous), so the receiver switches at leisure. Audited.",
        security: [{ managementToken: [] }],
        parameters: [idParam, idempotencyKey],
        responses: {
          "200": {
            description: "The new secret.",
            content: json({
              type: "object",
              properties: { webhook: { $ref: "#/components/schemas/Webhook" }, secret: { type: "string", maxLength: 100, pattern: "^whsec_" } },
            }),
          },
          ...errors,
        },
      },
    },
    "/api/v1/webhooks/{id}/test": {
      post: {
        operationId: "testWebhook",
        tags: ["Webhooks"],
        summary: "Send a test event",
        description:
          "Sends a `webhook.test` event now (whatever the endpoint's event filter) and answers the delivery: its status, the response code and latency, or why it failed.",
        security: [{ managementToken: [] }],
        parameters: [idParam, idempotencyKey],
        responses: {
          "200": {
            description: "How the delivery went.",
            content: json({ type: "object", properties: { delivery: { $ref: "#/components/schemas/WebhookDelivery" } } }),
          },
          ...errors,
        },
      },
    },
    "/api/v1/keys": {
      get: {
        operationId: "listKeys",
        tags: ["Keys"],
        summary: "List and search keys",
        description: `Filters combine; pages in a stable order (by id). Pass \`nextCursor\` as \`cursor\` for the next page; it is null after the last. Never a key or its hash.`,
        security: [{ managementToken: [] }],
        parameters: [
          { name: "organizationId", in: "query", required: false, schema: { type: "string", maxLength: 100 } },
          { name: "externalId", in: "query", required: false, schema: { type: "string", maxLength: 255 }, description: "The key's external id, exactly." },
          { name: "status", in: "query", required: false, schema: { type: "string", enum: ["active", "expiring", "revoked", "expired"] } },
          {
            name: "prefix",
            in: "query",
            required: false,
            schema: { type: "string", minLength: 1, maxLength: 100 },
            description: "The start of the display prefix, e.g. rk_live_4fQ9.",
          },
          { name: "name", in: "query", required: false, schema: { type: "string", minLength: 1, maxLength: 200 }, description: "Part of the name, any case." },
          { name: "cursor", in: "query", required: false, schema: { type: "string", maxLength: 200 }, description: "Opaque: the previous page's nextCursor." },
          { name: "limit", in: "query", required: false, schema: { type: "integer", format: "int32", minimum: 1, maximum: KEY_LIST_MAX_LIMIT, default: 50 } },
        ],
        responses: {
          "200": {
            description: "A page of keys.",
            content: json({
              type: "object",
              required: ["keys", "nextCursor"],
              properties: {
                keys: { type: "array", maxItems: KEY_LIST_MAX_LIMIT, items: { $ref: "#/components/schemas/Key" } },
                nextCursor: { type: ["string", "null"], maxLength: 200 },
              },
            }),
          },
          ...errors,
        },
      },
      post: {
        operationId: "createKey",
        tags: ["Keys"],
        summary: "Issue a key",
        description: "The response holds the full key in `key`: the only time it is ever shown.",
        security: [{ managementToken: [] }],
        parameters: [idempotencyKey],
        requestBody: { required: true, content: { "application/json": { schema: body(issueKeySchema) } } },
        responses: {
          "201": {
            description: "Issued.",
            content: {
              "application/json": {
                schema: {
                  allOf: [{ $ref: "#/components/schemas/Key" }, { type: "object", properties: { key: { type: "string", maxLength: MAX_KEY_LENGTH } } }],
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    "/api/v1/keys/import": {
      post: {
        operationId: "importKeys",
        tags: ["Keys"],
        summary: "Import existing keys by their stored hashes",
        description: `Up to ${MAX_IMPORT_BATCH} keys an earlier system issued, each by the hash it stored (sha256 hex or base64, a bcrypt or argon2 string, or scrypt with its parameters), never the key itself. The organization is found by its external id, or created. An imported key verifies at once and moves to rekey's keyed hash at its first successful verification. One transaction: the lines that pass are written together with their audit events; each line gets an outcome (imported, unchanged when its hash was imported before, refused with why). Idempotent: a re-run changes nothing. \`dryRun=1\` checks without writing. \`npm run keys:import\` sends a file in batches.`,
        security: [{ managementToken: [] }],
        parameters: [
          idempotencyKey,
          { name: "dryRun", in: "query", required: false, schema: { type: "string", enum: ["1"] }, description: "1: check every line, write nothing." },
        ],
        requestBody: {
          required: true,
          content: json({
            type: "object",
            required: ["keys"],
            additionalProperties: false,
            properties: {
              keys: { type: "array", minItems: 1, maxItems: MAX_IMPORT_BATCH, items: body(importLineSchema) },
              firstLine: {
                type: "integer",
                format: "int32",
                minimum: 1,
                maximum: MAX_FIRST_LINE,
                default: 1,
                description: "The file line of keys[0], so outcomes name the file's lines.",
              },
            },
          }),
        },
        responses: {
          "200": {
            description: "Nothing new written (a dry run, or every line unchanged or refused).",
            content: json({ $ref: "#/components/schemas/ImportResult" }),
          },
          "201": { description: "Some keys imported.", content: json({ $ref: "#/components/schemas/ImportResult" }) },
          ...errors,
          "413": err("A body over 8 MB."),
        },
      },
    },
    "/api/v1/keys/{id}": {
      get: {
        operationId: "getKey",
        tags: ["Keys"],
        summary: "A key's state, open rotation and deadline (never the key)",
        description:
          "The key's metadata: status, age, policy, last use, its open rotation if any and the grace deadline. The key itself is never stored, so it is never returned; only its prefix.",
        security: [{ managementToken: [] }],
        parameters: [idParam],
        responses: {
          "200": {
            description: "The key.",
            content: {
              "application/json": {
                schema: {
                  allOf: [
                    { $ref: "#/components/schemas/Key" },
                    { type: "object", properties: { openRotation: { oneOf: [{ $ref: "#/components/schemas/Rotation" }, { type: "null" }] } } },
                  ],
                },
              },
            },
          },
          ...errors,
        },
      },
      patch: {
        operationId: "updateKey",
        tags: ["Keys"],
        summary: "Change a key",
        description:
          "Any of name, scopes, rateLimit, expiresAt (null: no expiry), externalId (null clears it), metadata. A revoked or expired key is not changed (409). Audited as `key.updated`; verification follows at once.",
        security: [{ managementToken: [] }],
        parameters: [idParam],
        requestBody: { required: true, content: json(body(updateKeySchema)) },
        responses: { "200": { description: "Changed.", content: json({ $ref: "#/components/schemas/Key" }) }, ...errors },
      },
    },
    "/api/v1/keys/{id}/rotations": {
      get: {
        operationId: "listKeyRotations",
        tags: ["Rotations"],
        summary: "A key's rotations, newest first",
        description: "Every rotation of the key, open or closed, newest first: kind, state, schedule, grace deadline, successor and who did what.",
        security: [{ managementToken: [] }],
        parameters: [idParam],
        responses: {
          "200": {
            description: "The rotations.",
            content: json({
              type: "object",
              required: ["rotations"],
              properties: { rotations: { type: "array", items: { $ref: "#/components/schemas/Rotation" } } },
            }),
          },
          ...errors,
        },
      },
      post: {
        operationId: "createRotation",
        tags: ["Rotations"],
        summary: "Schedule or start a rotation",
        description:
          "`scheduled` needs `scheduledAt` in the future; `manual` starts now with the policy's grace; `emergency` starts now with the policy's emergency grace, needs a `reason`, and `gracePeriodHours: 0` revokes the old key at once. `deliver: portal` (default) lets the customer mint the successor by revealing it in the portal; `deliver: response` mints it now and returns it once in `successorKey`. A key has at most one open rotation: a second request gets 409.",
        security: [{ managementToken: [] }],
        parameters: [idParam, idempotencyKey],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: body(rotationFieldsSchema),
            },
          },
        },
        responses: {
          "201": {
            description: "The rotation.",
            content: {
              "application/json": {
                schema: {
                  allOf: [
                    { $ref: "#/components/schemas/Rotation" },
                    { type: "object", properties: { successorKey: { type: "string", maxLength: MAX_KEY_LENGTH } } },
                  ],
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    "/api/v1/rotations/{id}/cancel": {
      post: {
        operationId: "cancelRotation",
        tags: ["Rotations"],
        summary: "Cancel a scheduled rotation",
        description:
          "Cancels a rotation that has not started: the key stays as it is, and a successor already minted for it is revoked. Audited, with the optional reason. 409 when the rotation is no longer scheduled (roll it back instead).",
        security: [{ managementToken: [] }],
        parameters: [idParam, idempotencyKey],
        requestBody: closeBody,
        responses: { "200": { description: "Cancelled.", content: { "application/json": { schema: { $ref: "#/components/schemas/Rotation" } } } }, ...errors },
      },
    },
    "/api/v1/rotations/{id}/rollback": {
      post: {
        operationId: "rollbackRotation",
        tags: ["Rotations"],
        summary: "Roll back a rotation in grace: the old key is active again, the successor revoked",
        description:
          "For a successor that breaks clients: the old key is active again and the successor is revoked. Audited, with the optional reason. 409 when the rotation is not in grace.",
        security: [{ managementToken: [] }],
        parameters: [idParam, idempotencyKey],
        requestBody: closeBody,
        responses: {
          "200": { description: "Rolled back.", content: { "application/json": { schema: { $ref: "#/components/schemas/Rotation" } } } },
          ...errors,
        },
      },
    },
    "/api/v1/keys/{id}/revoke": {
      post: {
        operationId: "revokeKey",
        tags: ["Keys"],
        summary: "Revoke a key now, with its family",
        description:
          "Immediate. As an emergency rotation supersedes a key: its open rotation is cancelled or rolled back and every key minted from it since (successors, their successors) is revoked too, since whoever holds a leaked key may have obtained them. `familyRevoked` lists those. 409 if the key is already revoked.",
        security: [{ managementToken: [] }],
        parameters: [idParam, idempotencyKey],
        requestBody: {
          required: true,
          content: json({ type: "object", required: ["reason"], properties: { reason: { type: "string", minLength: 1, maxLength: 1000 } } }),
        },
        responses: {
          "200": {
            description: "Revoked.",
            content: json({
              allOf: [{ $ref: "#/components/schemas/Key" }, { type: "object", properties: { familyRevoked: { type: "array", items: { ...uuid } } } }],
            }),
          },
          ...errors,
        },
      },
    },
  }),
} as const;

/**
 * The document as this installation serves it: its one server is the
 * configured public URL (REKEY_PUBLIC_URL, else NEXTAUTH_URL), so a client
 * generated from it or a linter reading it sees where the API is.
 */
export function openApiDocument(serverUrl: string = appUrl()) {
  return {
    ...document,
    servers: [{ url: serverUrl, description: "This installation (REKEY_PUBLIC_URL): production or staging, as you run it.", "x-internal": false }],
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
