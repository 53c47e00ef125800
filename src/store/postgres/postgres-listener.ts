import pg from "pg";

import { WORK_CHANNEL } from "./postgres-queue-statements.ts";

/** First wait before reconnecting a dropped LISTEN connection; doubles per failed try. */
export const LISTEN_RECONNECT_INITIAL_DELAY_MS = 250;
export const LISTEN_RECONNECT_MAX_DELAY_MS = 10_000;

// LISTEN takes an identifier, not a parameter: escaped once here.
const LISTEN_SQL = `LISTEN ${pg.escapeIdentifier(WORK_CHANNEL)}`;

/**
 * Work notifications (`Store.onWork`) over ONE dedicated connection per store, outside the pool:
 * LISTEN belongs to a session, and a pooled connection is lent to other work between queries.
 * Every subscriber of the store shares that connection.
 *
 * States:
 * - idle: no subscriber, no connection.
 * - connecting: the first subscriber waits until LISTEN is in place; if that fails, subscribe
 *   rejects (the caller polls instead).
 * - listening: each notification on the channel calls every subscriber.
 * - reconnecting: the connection dropped (database restart, network). No callbacks until a new
 *   connection LISTENs again; workers keep polling meanwhile. Retries with jittered exponential
 *   backoff; once back, every subscriber is called once, since notifications sent while
 *   disconnected are lost.
 * - closed: the store was closed; subscribe rejects.
 * When the last subscriber leaves, the connection is closed and the listener is idle again.
 */
export interface WorkListener {
  /** Resolves, once LISTEN is active, to an unsubscribe function. */
  subscribe(callback: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

export function makeWorkListener(config: pg.ClientConfig, onError: (error: Error) => void): WorkListener {
  const callbacks = new Set<() => void>();
  let current: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  /** From a drop until a new connection listens (or nobody wants one any more). */
  let reconnecting = false;
  let retryDelayMs = LISTEN_RECONNECT_INITIAL_DELAY_MS;
  let closed = false;

  const wanted = () => !closed && callbacks.size > 0;

  function callAll(): void {
    for (const callback of [...callbacks]) {
      try {
        callback();
      } catch (error) {
        onError(asError(error));
      }
    }
  }

  /** A client that LISTENs, or a rejection; its events are wired before it connects. */
  async function openClient(): Promise<pg.Client> {
    const client = new pg.Client(config);
    client.on("notification", (message) => {
      if (client === current && message.channel === WORK_CHANNEL) callAll();
    });
    // Both fire when the connection drops; `dropped` acts on the first only.
    client.on("error", (error) => dropped(client, error));
    client.on("end", () => dropped(client, new Error("The LISTEN connection to PostgreSQL closed")));
    try {
      await client.connect();
      await client.query(LISTEN_SQL);
      return client;
    } catch (error) {
      client.end().catch(onError);
      throw error;
    }
  }

  /** Opens a connection and makes it current, unless nobody wants it any more by then. */
  function connect(): Promise<void> {
    connecting ??= openClient()
      .then((client) => {
        if (wanted()) current = client;
        else client.end().catch(onError);
      })
      .finally(() => {
        connecting = null;
      });
    return connecting;
  }

  function dropped(client: pg.Client, error: Error): void {
    if (client !== current) return; // a connection we closed or already replaced
    current = null;
    onError(error);
    client.end().catch(onError);
    reconnecting = true;
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (!wanted() || retryTimer) return;
    // Jitter spreads the reconnects of many workers after a database restart.
    const delay = retryDelayMs * (0.5 + Math.random() / 2);
    retryDelayMs = Math.min(retryDelayMs * 2, LISTEN_RECONNECT_MAX_DELAY_MS);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (!wanted()) return;
      connect().then(
        () => {
          if (!current) return;
          reconnecting = false;
          retryDelayMs = LISTEN_RECONNECT_INITIAL_DELAY_MS;
          callAll();
        },
        (error: unknown) => {
          onError(asError(error));
          scheduleReconnect();
        },
      );
    }, delay);
    // A pending reconnect alone must not keep the process alive.
    retryTimer.unref();
  }

  async function disconnect(): Promise<void> {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    reconnecting = false;
    retryDelayMs = LISTEN_RECONNECT_INITIAL_DELAY_MS;
    // A connection still being opened ends itself once open (nobody wants it).
    await connecting?.catch(() => undefined);
    const client = current;
    current = null;
    if (client) await client.end();
  }

  return {
    async subscribe(callback) {
      if (closed) throw new Error("The PostgreSQL store is closed");
      callbacks.add(callback);
      try {
        // While reconnecting, a new subscriber just joins: it is called once the connection is back.
        if (!current && !reconnecting) await connect();
      } catch (error) {
        callbacks.delete(callback);
        throw error;
      }
      let subscribed = true;
      return async () => {
        if (!subscribed) return;
        subscribed = false;
        callbacks.delete(callback);
        if (callbacks.size === 0) await disconnect();
      };
    },
    async close() {
      closed = true;
      callbacks.clear();
      await disconnect();
    },
  };
}
