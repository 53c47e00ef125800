/** The file name user code is evaluated under; QuickJS puts it in stack traces ("transformation.js:3:7"). */
export const TRANSFORMATION_FILENAME = "transformation.js";

/** Longest error message quoted from user code (a thrown value can be arbitrarily large). */
const MAX_QUOTED_CHARS = 500;

/**
 * A transformation failed: it does not compile, defines no handler, throws, runs out of time or
 * memory, or returns something that is not a valid webhook. The message is meant for the user who
 * wrote the code (shown by the simulate endpoint, at save time, and on the failed attempt).
 */
export class TransformationError extends Error {
  /** 1-based line in the transformation's code, when QuickJS reported one. */
  readonly line: number | null;

  constructor(message: string, options: { line?: number | null; cause?: unknown } = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "TransformationError";
    this.line = options.line ?? null;
  }
}

export interface ThrownContext {
  memoryBytes: number;
}

/**
 * Turns what QuickJS threw (as `context.dump` gives it: `{ name, message, stack, fileName?,
 * lineNumber? }` for errors, the value itself otherwise) into a readable error.
 * Time-outs are recognised by the caller, which knows whether its deadline fired.
 */
export function describeThrown(thrown: unknown, context: ThrownContext): TransformationError {
  if (!isErrorLike(thrown)) return new TransformationError(`transformation threw ${quote(thrown)}`);
  const { name, message } = thrown;
  const line = lineOf(thrown);
  const at = line === null ? "" : ` (line ${line})`;
  if (name === "InternalError" && message === "out of memory") {
    return new TransformationError(`transformation ran out of memory (limit ${formatBytes(context.memoryBytes)})${at}`, { line });
  }
  if (name === "InternalError" && message === "stack overflow") {
    return new TransformationError(`transformation exceeded the maximum stack size (recursion too deep)${at}`, { line });
  }
  if (name === "SyntaxError" && thrown.fileName === TRANSFORMATION_FILENAME) {
    return new TransformationError(`transformation has a syntax error: ${truncate(message)}${at}`, { line });
  }
  return new TransformationError(`transformation threw ${truncate(name)}: ${truncate(message)}${at}`, { line });
}

interface ErrorLike {
  name: string;
  message: string;
  stack?: unknown;
  fileName?: unknown;
  lineNumber?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.name === "string" && typeof record.message === "string";
}

/** The line in user code: a syntax error carries it; otherwise the innermost stack frame in user code. */
function lineOf(error: ErrorLike): number | null {
  if (error.fileName === TRANSFORMATION_FILENAME && typeof error.lineNumber === "number") return error.lineNumber;
  if (typeof error.stack !== "string") return null;
  const match = /transformation\.js:(\d+)/.exec(error.stack);
  return match ? Number(match[1]) : null;
}

function quote(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return truncate(text);
}

function truncate(text: string): string {
  return text.length <= MAX_QUOTED_CHARS ? text : `${text.slice(0, MAX_QUOTED_CHARS)}…`;
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}
