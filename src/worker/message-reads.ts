import type { Message } from "../domain/types.ts";
import type { MessageRef, Store } from "../store/store.ts";

/**
 * Reads messages for the worker's jobs, one read for all those asked for in the same turn of the
 * event loop: the jobs of one claim start together, so a claim of 50 fan-outs reads their 50
 * messages in one round trip instead of 50 (on PostgreSQL, a round trip per message was a
 * quarter of the statements the server ran per delivered message). Nothing is kept: each job
 * gets the message as stored when it asked.
 */
export interface MessageReads {
  read(appId: string, msgId: string): Promise<Message | null>;
}

interface Waiting {
  ref: MessageRef;
  resolve(message: Message | null): void;
  reject(error: unknown): void;
}

export function makeMessageReads(store: Pick<Store, "getMessagesByIds">): MessageReads {
  let waiting: Waiting[] = [];

  async function readWaiting(): Promise<void> {
    const batch = waiting;
    waiting = [];
    try {
      const messages = await store.getMessagesByIds(batch.map((entry) => entry.ref));
      batch.forEach((entry, i) => entry.resolve(messages[i]));
    } catch (error) {
      // Each job fails as if it had read alone; its lease runs out and it runs again.
      for (const entry of batch) entry.reject(error);
    }
  }

  return {
    read(appId, msgId) {
      return new Promise((resolve, reject) => {
        // After the current synchronous run, so that every job started in it joins this read.
        if (waiting.length === 0) queueMicrotask(() => void readWaiting());
        waiting.push({ ref: { appId, msgId }, resolve, reject });
      });
    },
  };
}
