/** The operators Herald's filters allow (src/filter/message-filter.ts); sift is given these alone. */
const ALLOWED_OPERATORS = [
  "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options",
  "$and", "$or", "$nor", "$not", "$all", "$size", "$elemMatch", "$type",
] as const;

export interface FilterDocument {
  eventType: string;
  payload: unknown;
  channels: string[];
  metadata: Record<string, string>;
  previous: Record<string, unknown> | null;
}

/** Whether a filter selects a message, evaluated in the browser like the worker does. */
export async function testFilter(filter: Record<string, unknown>, document: FilterDocument): Promise<boolean> {
  const sift = await import("sift");
  const operations = Object.fromEntries(ALLOWED_OPERATORS.map((name) => [name, sift[name]]));
  return sift.createQueryTester(filter, { operations })(document);
}
