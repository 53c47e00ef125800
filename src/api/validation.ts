import type { FastifySchemaValidationError } from "fastify/types/schema.js";

/**
 * Maps Ajv errors to Svix's 422 body: `{detail: [{loc: ["body", "url"], msg, type}]}`, so a client
 * sees which field is wrong, whatever part of the request it sits in.
 */
export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export function toValidationItems(errors: FastifySchemaValidationError[], context: string): ValidationItem[] {
  return errors.map((error) => {
    const loc: (string | number)[] = [context];
    for (const part of error.instancePath.split("/").slice(1)) {
      const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
      loc.push(/^\d+$/.test(key) ? Number(key) : key);
    }
    const params = error.params as Record<string, unknown>;
    if (error.keyword === "required" && typeof params.missingProperty === "string") {
      loc.push(params.missingProperty);
      return { loc, msg: "field required", type: "value_error.missing" };
    }
    if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
      loc.push(params.additionalProperty);
      return { loc, msg: "extra fields not permitted", type: "value_error.extra" };
    }
    return { loc, msg: error.message ?? "invalid value", type: `value_error.${error.keyword}` };
  });
}
