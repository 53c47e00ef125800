import type { Page, PageRequest } from "../domain/types.ts";

export interface PageQueryInput {
  limit?: number;
  iterator?: string | null;
  order?: "ascending" | "descending";
}

export const DEFAULT_PAGE_LIMIT = 50;

export function toPageRequest(query: PageQueryInput, defaultOrder: PageRequest["order"]): PageRequest {
  return {
    limit: query.limit ?? DEFAULT_PAGE_LIMIT,
    iterator: query.iterator ? query.iterator : null,
    order: query.order ?? defaultOrder,
  };
}

/** Svix's list envelope. */
export function toListOut<T, O>(page: Page<T>, map: (item: T) => O) {
  return { data: page.items.map(map), iterator: page.iterator, prevIterator: page.prevIterator, done: page.done };
}

/** `event_types` may come comma-joined (the SDK) or repeated; normalise to a flat list. */
export function splitList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const flat = values.flatMap((value) => value.split(",")).map((value) => value.trim()).filter(Boolean);
  return flat.length > 0 ? flat : undefined;
}

export function parseTime(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDateTime(value);
}

/**
 * Milliseconds since the epoch of an RFC 3339 date-time that the schema accepted. The schema
 * allows a leap second (`23:59:60`), which Date.parse cannot read: it is the instant after
 * `23:59:59.999`, as POSIX time counts it.
 */
export function parseDateTime(value: string): number {
  const leap = /^(.*[Tt ]\d\d:\d\d:)60(.*)$/.exec(value);
  return leap ? Date.parse(`${leap[1]}59${leap[2]}`) + 1000 : Date.parse(value);
}
