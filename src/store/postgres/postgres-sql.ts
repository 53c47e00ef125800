/**
 * SQL built at run time, with every value bound. The `sql` tag keeps text and values apart:
 *
 * ```ts
 * const where = [sql`m.app_id = ${appId}`];
 * if (channel !== undefined) where.push(sql`m.channels::jsonb ? ${channel}`);
 * compileSql(sql`SELECT m.id FROM messages m WHERE ${joinSql(where, " AND ")}`);
 * // → { text: "SELECT m.id FROM messages m WHERE m.app_id = $1 AND m.channels::jsonb ? $2", values: [appId, channel] }
 * ```
 *
 * A substitution is a bound value unless it is itself a fragment (`sql`…``, `joinSql`, or
 * `trustedSql` for text written in our code, such as a column name). Placeholders are numbered
 * when the whole query is compiled, so fragments compose freely.
 */
export interface Sql {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

const fragments = new WeakSet<Sql>();

function fragment(strings: readonly string[], values: readonly unknown[]): Sql {
  const result = Object.freeze({ strings, values });
  fragments.add(result);
  return result;
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return fragment([...strings], values);
}

/** SQL text from our own code (identifiers, keywords, column lists). Never pass input here. */
export function trustedSql(text: string): Sql {
  return fragment([text], []);
}

export function joinSql(parts: readonly Sql[], separator: string): Sql {
  if (parts.length === 0) return trustedSql("");
  const strings = ["", ...parts.slice(1).map(() => separator), ""];
  return fragment(strings, parts);
}

/** The query text with `$1…$n` placeholders and its values in placeholder order. */
export function compileSql(query: Sql): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const write = (part: Sql): string => {
    let text = part.strings[0];
    part.values.forEach((value, i) => {
      if (typeof value === "object" && value !== null && fragments.has(value as Sql)) {
        text += write(value as Sql);
      } else {
        values.push(value);
        text += "$" + values.length;
      }
      text += part.strings[i + 1];
    });
    return text;
  };
  return { text: write(query), values };
}
