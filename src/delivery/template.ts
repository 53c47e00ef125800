import { Liquid } from "liquidjs";

/**
 * Body templates: Liquid (liquidjs) text that must render to JSON.
 *
 * Frappe/Dokos users write Jinja; the common subset reads the same in Liquid:
 * `{{ payload.customer.name }}`, `{{ payload | tojson }}`, `{% if payload.paid %}…{% else %}…{% endif %}`,
 * `{% for item in payload.items %}…{% endfor %}`. Differences to know: Liquid's loop variable is
 * `forloop` (`forloop.last`), not Jinja's `loop`; there are no Python expressions (`~`, `x if c else y`,
 * method calls); filters take arguments after a colon (`{{ x | tojson: 2 }}`). A value placed inside
 * JSON should go through `json`/`tojson`, which quotes and escapes it: `"name": {{ payload.name | json }}`.
 *
 * Sandbox: templates see only the plain data of the context (own properties, so no `constructor` or
 * prototype), cannot read files (include/render/layout are removed, so they fail to parse), and are
 * bounded in source size, parse size, render time and memory. Unknown filters are refused at compile
 * time; unknown variables render as empty (Liquid's default), which `json` turns into `null`.
 */

export const TEMPLATE_MAX_SOURCE_CHARS = 64 * 1024;
const PARSE_LIMIT_CHARS = TEMPLATE_MAX_SOURCE_CHARS;
const RENDER_LIMIT_MS = 250;
/** liquidjs counts roughly one unit per allocated array slot or string character. */
const MEMORY_LIMIT_UNITS = 16 * 1024 * 1024;
const CACHE_MAX_ENTRIES = 500;
const EXCERPT_CHARS = 120;

export class TemplateError extends Error {
  /** 1-based position in the template, when liquidjs reports one. */
  readonly line: number | null;
  readonly column: number | null;

  constructor(message: string, options: { line?: number | null; column?: number | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "TemplateError";
    this.line = options.line ?? null;
    this.column = options.column ?? null;
  }
}

export interface CompiledTemplate {
  /** Renders with `context`, trims, and checks the text is JSON; throws TemplateError otherwise. */
  render(context: object): string;
}

function toJson(value: unknown, space: unknown = 0): string {
  const indent = typeof space === "number" && Number.isInteger(space) && space >= 0 && space <= 10 ? space : 0;
  return JSON.stringify(value, null, indent) ?? "null";
}

function makeEngine(): Liquid {
  const engine = new Liquid({
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    parseLimit: PARSE_LIMIT_CHARS,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: MEMORY_LIMIT_UNITS,
    // No file access: an empty root and no relative references; the tags that would read
    // files are removed below, so they are refused when the template is parsed.
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    dynamicPartials: false,
  });
  for (const tag of ["include", "render", "layout"]) delete engine.tags[tag];
  // Liquid's own `json` renders `undefined` as nothing; in a JSON body `null` is what is meant.
  engine.registerFilter("json", toJson);
  engine.registerFilter("tojson", toJson);
  return engine;
}

const engine = makeEngine();
const cache = new Map<string, CompiledTemplate>();

interface LiquidLikeError {
  message: string;
  token?: { getPosition?: () => [number, number] };
}

function templateErrorFrom(error: unknown, prefix: string): TemplateError {
  const liquidError = error as LiquidLikeError;
  const position = typeof liquidError?.token?.getPosition === "function" ? liquidError.token.getPosition() : null;
  const message = error instanceof Error ? error.message : String(error);
  return new TemplateError(`${prefix}: ${message}`, { line: position?.[0], column: position?.[1], cause: error });
}

function excerpt(text: string): string {
  return text.length > EXCERPT_CHARS ? JSON.stringify(text.slice(0, EXCERPT_CHARS)) + "…" : JSON.stringify(text);
}

/**
 * Parses a Liquid template once (cached by source). Throws TemplateError when the source is too
 * long, does not parse, or uses an unknown filter or tag.
 *
 * @example
 * compileTemplate('{"id": {{ message.id | json }}, "total": {{ payload.total }}}').render(context)
 */
export function compileTemplate(source: string): CompiledTemplate {
  const cached = cache.get(source);
  if (cached) return cached;
  if (source.length > TEMPLATE_MAX_SOURCE_CHARS) {
    throw new TemplateError(`template is longer than ${TEMPLATE_MAX_SOURCE_CHARS} characters`);
  }
  let parsed: ReturnType<Liquid["parse"]>;
  try {
    parsed = engine.parse(source);
  } catch (error) {
    throw templateErrorFrom(error, "template does not parse");
  }
  const compiled: CompiledTemplate = {
    render(context: object): string {
      let output: unknown;
      try {
        output = engine.renderSync(parsed, context);
      } catch (error) {
        throw templateErrorFrom(error, "template failed to render");
      }
      const text = String(output).trim();
      try {
        JSON.parse(text);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new TemplateError(`template output is not valid JSON: ${reason}; output starts ${excerpt(text)}`, { cause: error });
      }
      return text;
    },
  };
  if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(source, compiled);
  return compiled;
}
