import type pg from "pg";

import { execute, statement } from "./postgres-database.ts";
import { WORK_CHANNEL } from "./postgres-queue-statements.ts";

/**
 * Work notifications for accepted messages, at most one per NOTIFY_EVERY_MS instead of one per
 * message.
 *
 * Every message used to NOTIFY from its own transaction. A notifying commit takes the
 * notification queue's lock, so those commits run one at a time, and each signals every
 * listening connection: without them the server used about 7 % less CPU per message (issue 6).
 * A notification only means "claim now" and the queue says what to do, so one sent shortly after
 * a group of commits wakes idle workers for all of them. It goes after the commits it covers,
 * so a woken worker finds their work; if it is lost (the process dies first), workers still
 * poll. Other queued work (resends, retries, tasks) is rarer and still notifies from its
 * transaction.
 */
export const NOTIFY_EVERY_MS = 5;

/** A statement of its own, so that a test counting a call's round trips can tell it from the call's. */
export const NOTIFY_LATER = statement("notify_work_later", "SELECT pg_notify($1, '')");

export interface WorkNotifier {
  /** Call once work is committed: a notification follows within NOTIFY_EVERY_MS. */
  soon(): void;
  /** Sends the notification still waiting, if any. */
  flush(): Promise<void>;
}

export function makeWorkNotifier(pool: pg.Pool, onError: (error: Error) => void): WorkNotifier {
  let timer: NodeJS.Timeout | null = null;
  let sending: Promise<void> = Promise.resolve();

  function send(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    sending = execute(pool, NOTIFY_LATER, [WORK_CHANNEL]).then(() => undefined, onError);
    return sending;
  }

  return {
    soon() {
      // Commits that come while one is waiting are covered by it: it is sent after them.
      if (timer) return;
      timer = setTimeout(send, NOTIFY_EVERY_MS);
    },
    async flush() {
      if (timer) await send();
      await sending;
    },
  };
}
