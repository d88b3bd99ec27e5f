import type { Metadata } from "next";
import { Fragment } from "react";
import { openApiDocument } from "@/lib/http/openapi";

export const metadata: Metadata = { title: "API reference" };

/*
 * The OpenAPI document (/api/v1/openapi.json) rendered for people: every
 * operation with its authentication, parameters, body and answers, and every
 * schema, read from the same document machines read, so the two cannot
 * differ. Server-rendered HTML (no viewer script to allow in the CSP), laid
 * out as lists, not tables, so a phone shows it without sideways scrolling.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
};
type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };
type Operation = {
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { description?: string; content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
};

const doc = openApiDocument() as unknown as {
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, { description?: string }> };
};

/** Who calls each part of the API, in the order a reader meets them. */
const AREAS: { title: string; lede: string; match: (path: string) => boolean }[] = [
  {
    title: "Your key",
    lede: "Called with your own API key (the agent calls these: see /docs/agent).",
    match: (p) => p === "/api/v1/keys/rotate" || p.startsWith("/api/v1/keys/self"),
  },
  {
    title: "Verification",
    lede: "The API company's servers check a key on each request.",
    match: (p) => p === "/api/v1/keys/verify" || p.startsWith("/api/v1/verifier/"),
  },
  {
    title: "Keys and rotations",
    lede: "Management: issue, change, rotate and revoke keys.",
    match: (p) => p.startsWith("/api/v1/keys") || p.startsWith("/api/v1/rotations/"),
  },
  { title: "Organizations", lede: "Management: the API company's customers.", match: (p) => p.startsWith("/api/v1/organizations") },
  { title: "Webhooks", lede: "Signed events sent to your endpoints.", match: (p) => p.startsWith("/api/v1/webhooks") },
  { title: "Leaked keys", lede: "Report a leaked key: it is revoked and replaced at once.", match: (p) => p.startsWith("/api/v1/leaks") },
  { title: "Audit", lede: "Anyone may check the audit chain's signed checkpoints.", match: (p) => p.startsWith("/api/v1/audit/") },
];

const METHODS = ["get", "post", "patch", "put", "delete"] as const;

function operations() {
  const all = Object.entries(doc.paths).flatMap(([path, ops]) =>
    METHODS.filter((m) => ops[m]).map((method) => ({
      path,
      method,
      op: ops[method]!,
      id: `${method}-${path
        .replace(/^\/api\/v1\//, "")
        .replace(/[{}]/g, "")
        .replace(/[^a-z0-9]+/gi, "-")}`,
    })),
  );
  // Each operation under the first area that matches it.
  const areaOf = (path: string) => AREAS.findIndex((a) => a.match(path));
  return AREAS.map((area, i) => ({ ...area, ops: all.filter((o) => areaOf(o.path) === i) })).filter((a) => a.ops.length > 0);
}

/** Text with `code` spans, as the document writes them. */
function Prose({ text }: { text?: string }) {
  if (!text) return null;
  return (
    <>
      {text
        .split(/(`[^`]+`)/)
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of a fixed text, never reordered
        .map((part, i) => (part.startsWith("`") && part.endsWith("`") ? <code key={i}>{part.slice(1, -1)}</code> : <Fragment key={i}>{part}</Fragment>))}
    </>
  );
}

const refName = (ref: string) => ref.split("/").pop()!;

/** A schema's type in a few words: `string (uuid)`, `array of Key`, `"live" | "test"`, with limits. */
function TypeOf({ schema }: { schema?: Schema }) {
  if (!schema) return <span>any</span>;
  if (schema.$ref) return <a href={`#schema-${refName(schema.$ref)}`}>{refName(schema.$ref)}</a>;
  if (schema.oneOf || schema.anyOf) {
    const options = schema.oneOf ?? schema.anyOf!;
    return (
      <>
        {options.map((s, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, never reordered
          <Fragment key={i}>
            {i > 0 && " or "}
            <TypeOf schema={s} />
          </Fragment>
        ))}
      </>
    );
  }
  if (schema.enum) return <span>{schema.enum.map((v) => JSON.stringify(v)).join(" | ")}</span>;
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type ?? (schema.properties ? "object" : "any")]).filter((t) => t !== "null");
  const nullable = Array.isArray(schema.type) && schema.type.includes("null");
  const limits = [
    schema.minLength !== undefined && `≥ ${schema.minLength} chars`,
    schema.maxLength !== undefined && `≤ ${schema.maxLength} chars`,
    schema.minimum !== undefined && `≥ ${schema.minimum}`,
    schema.maximum !== undefined && `≤ ${schema.maximum}`,
    schema.maxItems !== undefined && `≤ ${schema.maxItems} items`,
  ].filter(Boolean);
  return (
    <span>
      {types[0] === "array" ? (
        <>
          array of <TypeOf schema={schema.items} />
        </>
      ) : (
        types.join(" | ")
      )}
      {schema.format && ` (${schema.format})`}
      {nullable && ", or null"}
      {limits.length > 0 && `, ${limits.join(", ")}`}
    </span>
  );
}

/** An object's fields as a list: name, type, whether required, what it means; nested objects indented. */
function Fields({ schema }: { schema?: Schema }) {
  if (!schema) return null;
  if (schema.$ref || !schema.properties) {
    return (
      <p className="api-type">
        <TypeOf schema={schema} />
      </p>
    );
  }
  const required = new Set(schema.required ?? []);
  return (
    <dl className="api-fields">
      {Object.entries(schema.properties).map(([name, field]) => (
        <div key={name}>
          <dt>
            <code>{name}</code> <span className="sub">{required.has(name) ? "required" : "optional"}</span>
          </dt>
          <dd>
            <span className="api-type">
              <TypeOf schema={field} />
            </span>
            {field.description && (
              <>
                {" "}
                — <Prose text={field.description} />
              </>
            )}
            {field.properties && <Fields schema={field} />}
            {field.items?.properties && <Fields schema={field.items} />}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Security({ security }: { security?: Record<string, string[]>[] }) {
  if (!security || security.length === 0) return <p>No authentication: anyone may call it.</p>;
  const names = security.map((s) => Object.keys(s)[0]);
  return (
    <p>
      {names.map((name, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, never reordered
        <Fragment key={i}>
          {i > 0 && (i === names.length - 1 ? ", or " : ", ")}
          {name ? <a href={`#auth-${name}`}>{name}</a> : "none"}
        </Fragment>
      ))}
    </p>
  );
}

export default function ApiReferencePage() {
  const areas = operations();
  return (
    <div className="api-doc">
      <h1>API reference</h1>
      <p className="lede">
        <Prose text={doc.info.description} /> Version {doc.info.version}. For machines: <a href="/api/v1/openapi.json">the OpenAPI 3.1 document</a>, which this
        page is made from.
      </p>
      <nav aria-label="Operations" className="card api-toc">
        {areas.map((area) => (
          <div key={area.title}>
            <h2>{area.title}</h2>
            <ul>
              {area.ops.map((o) => (
                <li key={o.id}>
                  <a href={`#${o.id}`}>
                    <span className={`method ${o.method}`}>{o.method.toUpperCase()}</span> {o.op.summary}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>

      <h2 id="authentication">Authentication</h2>
      <p>
        Every call that needs it sends a bearer token: <code>Authorization: Bearer …</code>.
      </p>
      <dl className="api-fields">
        {Object.entries(doc.components.securitySchemes).map(([name, scheme]) => (
          <div key={name} id={`auth-${name}`}>
            <dt>
              <code>{name}</code>
            </dt>
            <dd>
              <Prose text={scheme.description} />
            </dd>
          </div>
        ))}
      </dl>

      {areas.map((area) => (
        <section key={area.title} aria-labelledby={`area-${area.title}`}>
          <h2 id={`area-${area.title}`}>{area.title}</h2>
          <p className="sub">{area.lede}</p>
          {area.ops.map(({ id, path, method, op }) => {
            const body = op.requestBody?.content?.["application/json"]?.schema;
            const params = op.parameters ?? [];
            return (
              <article key={id} id={id} className="card api-op" aria-labelledby={`${id}-title`}>
                <h3 id={`${id}-title`}>{op.summary}</h3>
                <p className="api-path">
                  <span className={`method ${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
                </p>
                {op.description && (
                  <p>
                    <Prose text={op.description} />
                  </p>
                )}
                <h4>Authentication</h4>
                <Security security={op.security} />
                {params.length > 0 && (
                  <>
                    <h4>Parameters</h4>
                    <dl className="api-fields">
                      {params.map((p) => (
                        <div key={`${p.in}-${p.name}`}>
                          <dt>
                            <code>{p.name}</code>{" "}
                            <span className="sub">
                              in {p.in}, {p.required ? "required" : "optional"}
                            </span>
                          </dt>
                          <dd>
                            <span className="api-type">
                              <TypeOf schema={p.schema} />
                            </span>
                            {p.description && (
                              <>
                                {" "}
                                — <Prose text={p.description} />
                              </>
                            )}
                          </dd>
                        </div>
                      ))}
                    </dl>
                  </>
                )}
                {body && (
                  <>
                    <h4>Body (JSON)</h4>
                    <Fields schema={body} />
                  </>
                )}
                <h4>Answers</h4>
                <dl className="api-fields">
                  {Object.entries(op.responses).map(([status, response]) => {
                    const schema = response.content?.["application/json"]?.schema;
                    return (
                      <div key={status}>
                        <dt>
                          <code>{status}</code>
                        </dt>
                        <dd>
                          <Prose text={response.description} />
                          {schema && (
                            <>
                              {" "}
                              <span className="api-type">
                                (<TypeOf schema={schema.$ref ? schema : schema.properties ? { type: "object" } : schema} />)
                              </span>
                              {schema.properties && <Fields schema={schema} />}
                            </>
                          )}
                        </dd>
                      </div>
                    );
                  })}
                </dl>
              </article>
            );
          })}
        </section>
      ))}

      <section aria-labelledby="schemas">
        <h2 id="schemas">Objects</h2>
        {Object.entries(doc.components.schemas).map(([name, schema]) => (
          <article key={name} id={`schema-${name}`} className="card api-op" aria-labelledby={`schema-${name}-title`}>
            <h3 id={`schema-${name}-title`}>{name}</h3>
            {schema.description && (
              <p>
                <Prose text={schema.description} />
              </p>
            )}
            <Fields schema={schema} />
          </article>
        ))}
      </section>
    </div>
  );
}
