/**
 * Limits on the JSON Herald accepts or builds (request bodies, transformation results), checked on
 * the text before anything parses deeper,
 * validates or stores it. Nesting is what recursive code (validation, templates, filters, Grist's
 * field comparison, serialisation) pays for with stack: beyond a few thousand levels it throws,
 * so a bound here keeps every later step safe. Real payloads nest a dozen levels.
 */
export const MAX_JSON_DEPTH = 128;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** How deep the JSON text nests (0 for a scalar), stopping as soon as it passes `limit`. */
export function jsonDepthOver(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Members whose strings are kept as JSON text (escapes intact), where a NUL character is harmless. */
const JSON_TEXT_MEMBERS = new Set(["payload", "data", "previous", "schemas"]);

/**
 * The path to the first string (or key) holding a NUL character outside the members kept as JSON
 * text, or null. PostgreSQL's text columns cannot hold NUL, and no name, description, URL or code
 * needs one.
 */
export function findNulCharacter(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof value === "string") return value.includes("\u0000") ? path : null;
  if (typeof value !== "object" || value === null) return null;
  for (const [key, child] of Object.entries(value)) {
    if (path.length === 0 && JSON_TEXT_MEMBERS.has(key)) continue;
    if (key.includes("\u0000")) return [...path, key];
    const found = findNulCharacter(child, [...path, Array.isArray(value) ? Number(key) : key]);
    if (found) return found;
  }
  return null;
}
