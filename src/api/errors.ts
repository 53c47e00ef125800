/**
 * Every error the API returns, with its Svix code and HTTP status, in one place. The body is
 * always `{code, detail}` (validation errors are `{detail: [{loc, msg, type}]}`, see validation.ts).
 * Codes are Svix's where Svix has one; never reuse a retired code.
 */
export const ERROR_CODES = {
  bad_request: 400,
  invalid_json: 400,
  missing_payload: 400,
  limit_reached: 400,
  authentication_failed: 401,
  // A portal link's single-use key, already exchanged or past its time (Herald's codes).
  link_used: 401,
  link_expired: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  validation: 422,
  rate_limited: 429,
  server_error: 500,
  not_implemented: 501,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  constructor(code: ErrorCode, detail: string) {
    super(detail);
    this.name = "HttpError";
    this.code = code;
    this.statusCode = ERROR_CODES[code];
  }
}

export function notFound(what: string): HttpError {
  return new HttpError("not_found", `${what} not found`);
}

/** A 422 for one field, shaped like the schema validator's errors. */
export class FieldError extends Error {
  readonly loc: (string | number)[];
  readonly type: string;
  constructor(loc: (string | number)[], msg: string, type = "value_error") {
    super(msg);
    this.name = "FieldError";
    this.loc = loc;
    this.type = type;
  }
}
