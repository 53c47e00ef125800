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
 * A write is all or nothing, and one that throws (a duplicate eventId, say) rejects alone while
 * the others commit. The writes first run one after the other with nothing around them; if one
 * throws, the whole transaction is rolled back and the group runs again with each write in a
 * savepoint of its own, so only that one is undone. Failures are rare, and the savepoints (two
 * statements per write) were a few percent of the hot path. A write therefore needs no
 * transaction of its own, and must have no effect outside the database, as it may run twice. If
 * the commit itself fails, every write in the group rejects.
 */
export type GroupCommit = <T>(write: () => T) => Promise<T>;

/**
 * Work of every transaction of a group around its writes: the writes add to something kept in
 * memory, written once at the end (the attempt statistics, sqlite-attempt-stats.ts). A write that
 * adds to it must do so as its last step, after every statement that could throw, so that a write
 * undone alone (in its savepoint) has added nothing.
 */
export interface GroupHooks {
  /** First in each transaction; a group run again in savepoints begins again. */
  begin(): void;
  /** Last in each transaction, before its commit. If it throws, every write of the group rejects. */
  end(): void;
}

const NO_HOOKS: GroupHooks = { begin() {}, end() {} };

interface PendingWrite {
  write: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type WriteResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What a write threw, as it leaves the optimistic pass: not the commit failing. */
class WriteFailed extends Error {
  readonly error: unknown;
  constructor(error: unknown) {
    super("a write of the group failed");
    this.error = error;
  }
}

export function makeGroupCommit(db: Db, hooks: GroupHooks = NO_HOOKS): GroupCommit {
  let pending: PendingWrite[] = [];

  const runTogether = db.transaction((writes: PendingWrite[]): WriteResult[] => {
    hooks.begin();
    const results = writes.map((item): WriteResult => {
      try {
        return { ok: true, value: item.write() };
      } catch (error) {
        throw new WriteFailed(error);
      }
    });
    hooks.end();
    return results;
  });
  const inSavepoint = db.transaction((write: () => unknown) => write());
  const runEachInSavepoint = db.transaction((writes: PendingWrite[]): WriteResult[] => {
    hooks.begin();
    const results = writes.map((item): WriteResult => {
      try {
        return { ok: true, value: inSavepoint(item.write) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    hooks.end();
    return results;
  });

  function run(writes: PendingWrite[]): WriteResult[] {
    try {
      return runTogether.immediate(writes);
    } catch (error) {
      if (!(error instanceof WriteFailed)) throw error;
      if (writes.length === 1) return [{ ok: false, error: error.error }];
      return runEachInSavepoint.immediate(writes);
    }
  }

  function flush(): void {
    const writes = pending;
    pending = [];
    let results: WriteResult[];
    try {
      results = run(writes);
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
