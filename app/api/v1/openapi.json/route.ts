import { openApiDocument } from "@/lib/http/openapi";

/** Read at request time: the document's server is the configured public URL. */
export function GET() {
  return Response.json(openApiDocument());
}
