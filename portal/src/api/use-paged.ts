import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import type { ListPage } from "./types.ts";

export const POLL_INTERVAL_MS = 4000;

/**
 * A list paged by the API's iterators: a stack of the iterators that opened each page, so "previous"
 * returns exactly to the page before. Nothing is counted. Polls while the page is visible so new
 * rows appear without a reload.
 */
export function usePagedList<T>(key: readonly unknown[], fetchPage: (iterator: string | null) => Promise<ListPage<T>>, poll = true) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const [lastKey, setLastKey] = useState(JSON.stringify(key));
  const keyText = JSON.stringify(key);
  if (keyText !== lastKey) {
    setLastKey(keyText);
    setStack([null]);
  }
  const iterator = stack[stack.length - 1];
  const query = useQuery({
    queryKey: [...key, "page", iterator],
    queryFn: () => fetchPage(iterator),
    placeholderData: keepPreviousData,
    refetchInterval: poll ? POLL_INTERVAL_MS : false,
  });
  const page = query.data;
  return {
    query,
    rows: page?.data ?? [],
    hasPrevious: stack.length > 1,
    hasNext: Boolean(page && !page.done && page.iterator),
    next: () => {
      if (page?.iterator) setStack([...stack, page.iterator]);
    },
    previous: () => setStack(stack.slice(0, -1)),
  };
}
