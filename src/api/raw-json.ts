/**
 * Finds the exact text of one top-level member of a JSON object, so a message payload can be
 * stored and delivered byte for byte as the producer posted it (Svix keeps payloads as raw bytes
 * too). The input has already been parsed successfully by JSON.parse, so this scanner only has
 * to find boundaries, not validate. Like JSON.parse, the last duplicate key wins.
 */
export function rawMember(json: string, name: string): string | null {
  let index = skipWhitespace(json, 0);
  if (json[index] !== "{") return null;
  index += 1;
  let found: string | null = null;
  for (;;) {
    index = skipWhitespace(json, index);
    if (json[index] === "}") return found;
    const keyEnd = skipString(json, index);
    const key = JSON.parse(json.slice(index, keyEnd)) as string;
    index = skipWhitespace(json, keyEnd);
    index = skipWhitespace(json, index + 1); // past ':'
    const valueEnd = skipValue(json, index);
    if (key === name) found = json.slice(index, valueEnd);
    index = skipWhitespace(json, valueEnd);
    if (json[index] === ",") index += 1;
  }
}

function skipWhitespace(text: string, index: number): number {
  while (index < text.length && (text[index] === " " || text[index] === "\n" || text[index] === "\r" || text[index] === "\t")) index += 1;
  return index;
}

function skipString(text: string, index: number): number {
  index += 1; // opening quote
  while (text[index] !== '"') index += text[index] === "\\" ? 2 : 1;
  return index + 1;
}

function skipValue(text: string, index: number): number {
  const first = text[index];
  if (first === '"') return skipString(text, index);
  if (first !== "{" && first !== "[") {
    while (index < text.length && !",}] \n\r\t".includes(text[index])) index += 1;
    return index;
  }
  let depth = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = skipString(text, index);
      continue;
    }
    if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
    index += 1;
  }
  return index;
}
