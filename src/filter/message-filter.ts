import { isDeepStrictEqual } from "node:util";

import { RE2JS } from "re2js";
import sift from "sift";

/**
 * Endpoint filters: a MongoDB-style query (JSON) over a FilterDocument, evaluated with sift.
 *
 * Only the operators in ALLOWED_OPERATORS exist for sift here (it is given them alone, not its
 * defaults), so `$where` (which sift would turn into `new Function`), `$expr`, `$function`,
 * `$jsonSchema`, `$text` and any other `$` key are refused, by `checkFilter` with the path to the
 * key when the filter is saved, and by sift ("Unsupported operation") should one reach it.
 *
 * Filters run in the delivery worker on every message, synchronously, and JavaScript regular
 * expressions backtrack: one pattern such as `(a+)+$` or `^(a|a)*$` on a crafted payload string
 * can hold the worker for minutes (ReDoS). So `$regex` runs on re2js, a port of RE2, whose
 * matching takes time linear in the string whatever the pattern; patterns are capped at
 * REGEX_MAX_CHARS, and what RE2 cannot run in linear time (backreferences, lookarounds) is
 * refused when the filter is saved.
 */

export interface FilterDocument {
  eventType: string;
  payload: unknown;
  channels: string[];
  metadata: Record<string, string>;
  previous: Record<string, unknown> | null;
}

type Tester = (doc: FilterDocument) => boolean;
type FilterProblem = { path: string[]; message: string };

const LOGICAL_OPERATORS = ["$and", "$or", "$nor"] as const;
const ALLOWED_OPERATORS = [
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$regex",
  "$options",
  ...LOGICAL_OPERATORS,
  "$not",
  "$all",
  "$size",
  "$elemMatch",
  "$type",
] as const;
type AllowedOperator = (typeof ALLOWED_OPERATORS)[number];

const DOCUMENT_ROOTS = ["eventType", "payload", "channels", "metadata", "previous"] as const satisfies readonly (keyof FilterDocument)[];
/** sift's `$type` aliases that JSON values can have. */
const TYPE_ALIASES = ["number", "string", "bool", "array", "null"];
/** Path segments that would reach Object.prototype instead of the data. */
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);
const REGEX_FLAGS = /^(?!.*(.).*\1)[imsu]*$/;

export const FILTER_MAX_DEPTH = 16;
export const FILTER_MAX_CHARS = 10_000;
export const REGEX_MAX_CHARS = 256;
const CACHE_MAX_ENTRIES = 1000;

const siftOperations = { ...Object.fromEntries(ALLOWED_OPERATORS.map((name) => [name, sift[name]])), $regex: linearRegex };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isAllowedOperator(key: string): key is AllowedOperator {
  return (ALLOWED_OPERATORS as readonly string[]).includes(key);
}

function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

function checkRegex(pattern: unknown, flags: unknown, path: string[]): FilterProblem | null {
  if (typeof pattern !== "string") return { path, message: "$regex must be a string" };
  if (pattern.length > REGEX_MAX_CHARS) return { path, message: `$regex may be at most ${REGEX_MAX_CHARS} characters` };
  if (flags !== undefined && (typeof flags !== "string" || !REGEX_FLAGS.test(flags))) {
    return { path: [...path.slice(0, -1), "$options"], message: "$options may only hold the flags i, m, s and u" };
  }
  try {
    compileRegex(pattern, flags);
  } catch (error) {
    return { path, message: `$regex is not a regular expression RE2 accepts (no backreferences or lookarounds): ${(error as Error).message}` };
  }
  return null;
}

/** `i`, `m` and `s` as RE2 flags; RE2 always matches Unicode code points, so `u` changes nothing. */
function compileRegex(pattern: string, flags: unknown): RE2JS {
  const text = typeof flags === "string" ? flags : "";
  const bits =
    (text.includes("i") ? RE2JS.CASE_INSENSITIVE : 0) | (text.includes("m") ? RE2JS.MULTILINE : 0) | (text.includes("s") ? RE2JS.DOTALL : 0);
  return RE2JS.compile(pattern, bits);
}

/** sift's `$regex`, matched by RE2 instead of a backtracking RegExp. */
function linearRegex(pattern: string, ownerQuery: Record<string, unknown>, options: Parameters<typeof sift.createEqualsOperation>[2]) {
  const regex = compileRegex(pattern, ownerQuery.$options);
  return sift.createEqualsOperation((value: unknown) => typeof value === "string" && regex.test(value), ownerQuery, options);
}

/** Checks the operand of one operator; `walk` checks sub-queries. */
function checkOperator(
  op: AllowedOperator,
  value: unknown,
  owner: Record<string, unknown>,
  path: string[],
  atRoot: boolean,
): FilterProblem | null {
  switch (op) {
    case "$and":
    case "$or":
    case "$nor": {
      if (!Array.isArray(value) || value.length === 0) return { path, message: `${op} must be a non-empty array of queries` };
      for (const [index, clause] of value.entries()) {
        if (!isPlainObject(clause)) return { path: [...path, String(index)], message: `${op} elements must be objects` };
        const problem = walk(clause, [...path, String(index)], atRoot);
        if (problem) return problem;
      }
      return null;
    }
    case "$in":
    case "$nin":
    case "$all":
      if (!Array.isArray(value)) return { path, message: `${op} must be an array` };
      return walk(value, path, false);
    case "$regex":
      return checkRegex(value, owner.$options, path);
    case "$options":
      return Object.hasOwn(owner, "$regex") ? null : { path, message: "$options needs a $regex beside it" };
    case "$exists":
      return typeof value === "boolean" ? null : { path, message: "$exists must be true or false" };
    case "$size":
      return Number.isInteger(value) && (value as number) >= 0 ? null : { path, message: "$size must be a non-negative integer" };
    case "$type":
      return typeof value === "string" && TYPE_ALIASES.includes(value) ? null : { path, message: `$type must be one of ${TYPE_ALIASES.join(", ")}` };
    case "$elemMatch":
    case "$not":
      if (!isPlainObject(value)) return { path, message: `${op} must be an object` };
      return walk(value, path, false);
    case "$eq":
    case "$ne":
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return walk(value, path, false);
    default: {
      const never: never = op;
      return { path, message: `unknown operator ${String(never)}` };
    }
  }
}

/** `atRoot`: keys here are paths into the FilterDocument, so their first segment must be one of its fields. */
function walk(node: unknown, path: string[], atRoot: boolean): FilterProblem | null {
  if (Array.isArray(node)) {
    for (const [index, element] of node.entries()) {
      const problem = walk(element, [...path, String(index)], false);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof node !== "object" || node === null) return null;
  if (!isPlainObject(node)) return { path, message: "must be plain JSON" };
  for (const [key, value] of Object.entries(node)) {
    const keyPath = [...path, key];
    if (key.startsWith("$")) {
      if (!isAllowedOperator(key)) {
        return { path: keyPath, message: `operator ${key} is not allowed; use one of ${ALLOWED_OPERATORS.join(" ")}` };
      }
      const problem = checkOperator(key, value, node, keyPath, atRoot);
      if (problem) return problem;
      continue;
    }
    const segments = key.split(".");
    if (segments.some((segment) => segment === "" || FORBIDDEN_SEGMENTS.has(segment))) {
      return { path: keyPath, message: `field path ${JSON.stringify(key)} is not allowed` };
    }
    if (atRoot && !(DOCUMENT_ROOTS as readonly string[]).includes(segments[0])) {
      return { path: keyPath, message: `field path must start with one of ${DOCUMENT_ROOTS.join(", ")}` };
    }
    const problem = walk(value, keyPath, false);
    if (problem) return problem;
  }
  return null;
}

function createTester(query: Record<string, unknown>): Tester {
  const test = sift.createQueryTester(query, { operations: siftOperations });
  return (doc) => test(doc);
}

/**
 * Save-time check: a plain JSON object of bounded size and depth, only allowed operators, safe
 * regexes, and sift compiles it. Returns the path to the offending key and why, or null.
 *
 * @example
 * checkFilter({ "payload.amount": { $gt: 100 }, $where: "true" }) // { path: ["$where"], message: "operator $where is not allowed; …" }
 */
export function checkFilter(query: unknown): FilterProblem | null {
  if (!isPlainObject(query)) return { path: [], message: "filter must be a JSON object" };
  let text: string;
  try {
    text = JSON.stringify(query);
  } catch {
    return { path: [], message: "filter must be plain JSON" };
  }
  if (text.length > FILTER_MAX_CHARS) return { path: [], message: `filter may be at most ${FILTER_MAX_CHARS} characters as JSON` };
  if (depthOf(query) > FILTER_MAX_DEPTH) return { path: [], message: `filter may nest at most ${FILTER_MAX_DEPTH} levels` };
  const problem = walk(query, [], true);
  if (problem) return problem;
  try {
    createTester(query);
  } catch (error) {
    return { path: [], message: `filter is not a valid query: ${(error as Error).message}` };
  }
  return null;
}

const cache = new Map<string, Tester>();

/**
 * A tester for a filter that passed checkFilter (checked again here, then cached by its JSON
 * text). Throws on an invalid filter; the tester itself may throw on odd data, which the caller
 * logs and treats as "does not match".
 */
export function compileFilter(query: Record<string, unknown>): Tester {
  const key = JSON.stringify(query);
  const cached = cache.get(key);
  if (cached) return cached;
  const problem = checkFilter(query);
  if (problem) throw new Error(`invalid filter at ${problem.path.join(".") || "(root)"}: ${problem.message}`);
  const tester = createTester(query);
  if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, tester);
  return tester;
}

/** A record's own field; arrays and scalars have none. */
function field(record: unknown, name: string): unknown {
  return isPlainObject(record) && Object.hasOwn(record, name) ? record[name] : undefined;
}

/**
 * Grist's trigger rules. With `readyField`, the payload's value must be exactly `true`. A message
 * is an "add" when there is no `previous`, or (with `readyField`) the record was not ready before
 * (false→true is an add). Adds always pass; an update passes when no fields are watched or a
 * watched field differs between `payload` and `previous`. The payload is asked for only when a rule
 * reads it: most endpoints set neither, and parsing the payload would cost more than the rules.
 */
export function passesWatchAndReady(
  payloadOf: () => unknown,
  previous: Record<string, unknown> | null,
  watchFields: string[] | null,
  readyField: string | null,
): boolean {
  if (readyField !== null && field(payloadOf(), readyField) !== true) return false;
  const isAdd = previous === null || (readyField !== null && field(previous, readyField) !== true);
  if (isAdd) return true;
  if (watchFields === null || watchFields.length === 0) return true;
  const payload = payloadOf();
  return watchFields.some((name) => !isDeepStrictEqual(field(payload, name), field(previous, name)));
}
