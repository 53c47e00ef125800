/** An error answer of the API: Svix's `{code, detail}` or a 422's `{detail: [{loc, msg, type}]}`. */
export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly fieldProblems: FieldProblem[];
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    const record = (typeof body === "object" && body !== null ? body : {}) as { code?: unknown; detail?: unknown };
    const problems = Array.isArray(record.detail) ? (record.detail as FieldProblem[]) : [];
    const detail = typeof record.detail === "string" ? record.detail : problems.map((problem) => problem.msg).join("; ");
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.code = typeof record.code === "string" ? record.code : null;
    this.fieldProblems = problems;
    this.body = body;
  }

  /** The server's message about one body field (`loc` ends with the field's name), if any. */
  messageFor(field: string): string | null {
    const problem = this.fieldProblems.find((candidate) => candidate.loc[candidate.loc.length - 1] === field);
    return problem ? problem.msg : null;
  }
}

/** Normalises what the svix SDK throws (ApiException: `code`, `body`) and fetch failures. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (typeof error === "object" && error !== null && "code" in error && "body" in error) {
    const { code, body } = error as { code: unknown; body: unknown };
    if (typeof code === "number") return new ApiError(code, body);
  }
  return null;
}
