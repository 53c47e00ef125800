import { Ajv, type Options } from "ajv";
import addFormatsImport from "ajv-formats";

/**
 * Two validators: query strings and path parameters arrive as text, so they are coerced
 * (`?limit=10` → 10, a single `event_types` → an array); JSON bodies are checked strictly, as
 * Svix does, so `"channels": 5` is a 422 rather than quietly becoming `["5"]`.
 */
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, removeAdditional: false, strict: false, ...options });
  addFormats(ajv);
  return ajv;
}

const strict = makeAjv({ coerceTypes: false });
const coercing = makeAjv({ coerceTypes: "array" });

export function compileValidator({ schema, httpPart }: { schema: object; httpPart?: string }) {
  return (httpPart === "body" ? strict : coercing).compile(schema);
}
