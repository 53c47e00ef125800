import type { Db } from "./sqlite-database.ts";

/**
 * Group commit: the writes asked for in one turn of the event loop share one transaction.
 *
 * A commit costs SQLite far more than the statements in it (the WAL frames of every page touched,
 * the lock, the WAL index), and on the hot path each accepted message, fan-out and attempt used to
 * be a transaction of its own. Under load many of them are asked for at once (fifty API requests,
 * a hundred deliveries finishing), so they are queued and run together in one `BEGIN IMMEDIATE`
 * on the next turn (setImmediate), and every promise settles once that commit is done: a caller
 * still only hears of success once its write is durable.
 *
 * Each write runs in a savepoint of its own (better-sqlite3 nests a transaction function called
 * inside another as SAVEPOINT ... RELEASE), so one that throws — a duplicate eventId, say — is
 * rolled back alone and rejects alone; the others commit. If the commit itself fails, every write
 * in the group rejects.
 */
export type GroupCommit = <T>(write: () => T) => Promise<T>;

interface PendingWrite {
  write: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type WriteResult = { ok: true; value: unknown } | { ok: false; error: unknown };

export function makeGroupCommit(db: Db): GroupCommit {
  let pending: PendingWrite[] = [];

  const inSavepoint = db.transaction((write: () => unknown) => write());
  const runAll = db.transaction((writes: PendingWrite[]): WriteResult[] =>
    writes.map((item) => {
      try {
        return { ok: true, value: inSavepoint(item.write) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );

  function flush(): void {
    const writes = pending;
    pending = [];
    let results: WriteResult[];
    try {
      results = runAll.immediate(writes);
    } catch (error) {
      for (const item of writes) item.reject(error);
      return;
    }
    results.forEach((result, index) => {
      const item = writes[index]!;
      if (result.ok) item.resolve(result.value);
      else item.reject(result.error);
    });
  }

  return <T>(write: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
    });
}
