/**
 * Calls to PostgreSQL asked for in one turn of the event loop, sent together as one round trip.
 *
 * Under load the worker asks for many of the same call at once (deliveries whose answers arrive
 * together finish together; fan-outs claimed together are ready together), and each call alone is
 * a round trip and a transaction, holding a pooled connection for it; with the database on another
 * host that wait is the network's. So the calls are queued and, on the next turn (setImmediate),
 * sent as few calls of a function that runs them one after another in one transaction. A call
 * alone in its turn is sent alone, as before.
 *
 * If a call of several fails (a deadlock with another transaction, or one bad item), nothing of
 * it was committed, and its items are sent again one by one, in the order they were asked for
 * (the order one-by-one calls would have had): each then succeeds or fails alone, so which of two
 * conflicting items fails does not depend on a race, and a caller hears of its own item only once
 * it is committed.
 */
export interface TurnCalls<Item, Result> {
  /** Sends one item alone. */
  alone(item: Item): Promise<Result>;
  /** Sends several items in one call; results in the items' order. */
  together(items: Item[]): Promise<Result[]>;
  /** Items per call; a larger turn is sent as several calls. */
  maxPerCall: number;
  /** The order of the items within a turn (a lock order, so that two calls cannot deadlock). */
  compare(a: Item, b: Item): number;
}

interface Waiting<Item, Result> {
  item: Item;
  /** Its place in the turn's asking order. */
  asked: number;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export function callTogetherEachTurn<Item, Result>(calls: TurnCalls<Item, Result>): (item: Item) => Promise<Result> {
  let waiting: Array<Waiting<Item, Result>> = [];

  async function sendAlone(entry: Waiting<Item, Result>): Promise<void> {
    try {
      entry.resolve(await calls.alone(entry.item));
    } catch (error) {
      entry.reject(error);
    }
  }

  async function sendTogether(entries: Array<Waiting<Item, Result>>): Promise<void> {
    let results: Result[];
    try {
      results = await calls.together(entries.map((entry) => entry.item));
    } catch {
      for (const entry of [...entries].sort((a, b) => a.asked - b.asked)) await sendAlone(entry);
      return;
    }
    entries.forEach((entry, i) => entry.resolve(results[i]!));
  }

  function flush(): void {
    const entries = waiting.sort((a, b) => calls.compare(a.item, b.item));
    waiting = [];
    if (entries.length === 1) {
      void sendAlone(entries[0]!);
      return;
    }
    for (let start = 0; start < entries.length; start += calls.maxPerCall) {
      void sendTogether(entries.slice(start, start + calls.maxPerCall));
    }
  }

  return (item) =>
    new Promise<Result>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ item, asked: waiting.length, resolve, reject });
    });
}
