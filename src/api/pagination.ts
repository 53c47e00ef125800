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
  return value === undefined ? undefined : Date.parse(value);
}
