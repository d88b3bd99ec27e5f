import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { openApiDocument } from "../../lib/http/openapi";

/**
 * The contract check (issue 16, item 2): every answer a test receives from
 * an operation of the API is checked here against the OpenAPI document the
 * app serves (lib/http/openapi.ts), with ajv: the status must be one the
 * operation lists, and a JSON body must match that response's schema. A
 * handler that answers what the document does not say fails the test that
 * called it, so the document cannot drift from the code.
 */

type Response = { description: string; content?: Record<string, { schema?: unknown }> };
type Operation = { responses: Record<string, Response> };

const doc = openApiDocument("http://localhost:3000") as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
};

/** `#/components/…` as a reference into the document registered with ajv under the id "openapi". */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `openapi${v}` : rebase(v)]),
    );
  }
  return value;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: "openapi", components: rebase(doc.components) });

const compiled = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: unknown): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile(rebase(schema) as object)));
  return validate;
}

/**
 * Throws when `status` and `body` are not what the document says `operation`
 * ("METHOD /path/{param}") answers. `contentType` is the response's; only
 * JSON bodies are checked against a schema (NDJSON streams are read by their
 * own tests).
 */
export function expectDocumented(operation: string, status: number, contentType: string | null, body: unknown): void {
  const [method, path] = operation.split(" ");
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`contract: ${operation} is not in the OpenAPI document`);
  const response = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
  if (!response) {
    throw new Error(
      `contract: ${operation} answered ${status}, which the OpenAPI document does not list (it lists ${Object.keys(op.responses).join(", ")}): ${JSON.stringify(body)}`,
    );
  }
  if (!contentType?.includes("application/json")) return;
  const schema = response.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`contract: ${operation} answered ${status} with a JSON body, which the document does not describe: ${JSON.stringify(body)}`);
  const validate = validatorFor(`${operation} ${status}`, schema);
  if (!validate(body)) {
    throw new Error(
      `contract: ${operation} answered ${status} with a body the document does not allow: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`,
    );
  }
}
