import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";

import { typescriptWorkerUrl } from "../runtime/typescript-worker.ts";
import type { HttpSender, HttpSenderOptions, OutboundRequest, SendResult } from "./http-sender.ts";
import type { FromSenderThread, SenderThreadData, ToSenderThread } from "./sender-protocol.ts";

/**
 * An HttpSender whose requests are made in a worker thread of their own (sender-thread.ts runs
 * the ordinary makeHttpSender there). Herald's main thread runs the API, the queue and SQLite; on
 * a busy server it is the one saturated core while the machine's second core has room, and undici
 * (writing requests, parsing responses, timers) is about a fifth of the main thread's work per
 * delivery. The thread takes that part; the main thread only posts the request and receives the
 * result, both batched per turn of the event loop, so one message crosses per turn each way.
 *
 * The thread starts with the sender (it takes a few hundred milliseconds to load, which the first
 * delivery should not wait for; a process that only serves the API makes no sender). If it stops
 * (a crash, or terminateThread), the requests in flight settle as errors with code
 * SENDER_THREAD_EXITED: the request may or may not have reached the receiver, so the delivery is
 * recorded as a failed attempt and retried like any other. The next request starts a new thread.
 */
export interface ThreadedHttpSender extends HttpSender {
  /** Stops the thread at once, as a crash would: what is in flight settles as errors. */
  terminateThread(): Promise<void>;
}

export const SENDER_THREAD_EXITED = "SENDER_THREAD_EXITED";

/**
 * The thread's live heap is small (the requests in flight and their connections), but with V8's
 * defaults its young generation and the garbage it lets grow added ~55 MB to Herald's RSS in a
 * 20,000-message probe; with these limits ~35 MB, at the same speed. The old generation keeps
 * room for large responses in flight (up to HERALD_RESPONSE_BODY_LIMIT each); a thread that runs
 * out of it exits and is replaced like any stopped thread.
 */
const THREAD_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 };

/** How long close() waits for the thread to close its connections before terminating it. */
const CLOSE_TIMEOUT_MS = 5_000;

interface SenderThread {
  worker: Worker;
  port: MessagePort;
  /** Requests posted (or about to be) and not yet answered, by id. */
  inFlight: Map<number, { resolve(result: SendResult): void; startedAt: number }>;
  /** Requests asked for in this turn, posted together by the next setImmediate. */
  outbox: [number, OutboundRequest][];
  /** Settles when the thread has exited and every request in flight has settled. */
  exited: Promise<void>;
}

export function makeThreadedHttpSender(options: HttpSenderOptions, onThreadExit: (error: Error) => void = () => {}): ThreadedHttpSender {
  let nextId = 0;
  let closed = false;

  function start(): SenderThread {
    const { port1, port2 } = new MessageChannel();
    const data: SenderThreadData = { port: port2, options };
    const worker = new Worker(typescriptWorkerUrl(new URL("./sender-thread.ts", import.meta.url)), {
      workerData: data,
      transferList: [port2],
      execArgv: [],
      resourceLimits: THREAD_HEAP_LIMITS,
    });
    // Neither keeps the process alive by itself: the port is ref'd while a request is in flight,
    // as an open connection would be.
    worker.unref();
    let reason: Error | null = null;
    let exited: () => void = () => {};
    const started: SenderThread = { worker, port: port1, inFlight: new Map(), outbox: [], exited: new Promise((resolve) => (exited = resolve)) };
    port1.on("message", (message: FromSenderThread) => {
      if (message.kind === "results") settle(started, message.results);
    });
    port1.unref();
    worker.on("error", (error) => (reason = error));
    worker.on("exit", (code) => {
      if (thread === started) thread = null;
      port1.close();
      const message = `The sending thread stopped (${reason ? reason.message : `exit code ${code}`}) before the response came; the request may or may not have reached the receiver`;
      const inFlight = [...started.inFlight.values()];
      started.inFlight.clear();
      for (const request of inFlight) {
        request.resolve({ kind: "error", code: SENDER_THREAD_EXITED, message, durationMs: Math.round(performance.now() - request.startedAt) });
      }
      exited();
      if (!closed) onThreadExit(reason ?? new Error(`the sending thread exited with code ${code}`));
    });
    return started;
  }

  let thread: SenderThread | null = start();

  function settle(from: SenderThread, results: [number, SendResult][]): void {
    for (const [id, result] of results) {
      const request = from.inFlight.get(id);
      from.inFlight.delete(id);
      request?.resolve(result);
    }
    if (from.inFlight.size === 0) from.port.unref();
  }

  function flush(to: SenderThread): void {
    const message: ToSenderThread = { kind: "send", requests: to.outbox };
    to.outbox = [];
    // A thread that exited meanwhile has already settled these requests as errors.
    if (thread === to) to.port.postMessage(message);
  }

  return {
    send(outbound) {
      if (closed) return Promise.resolve({ kind: "error", code: "SENDER_CLOSED", message: "Herald is shutting down", durationMs: 0 });
      const to = (thread ??= start());
      return new Promise((resolve) => {
        const id = nextId++;
        if (to.inFlight.size === 0) to.port.ref();
        to.inFlight.set(id, { resolve, startedAt: performance.now() });
        if (to.outbox.length === 0) setImmediate(flush, to);
        to.outbox.push([id, outbound]);
      });
    },
    async terminateThread() {
      const current = thread;
      if (!current) return;
      await current.worker.terminate();
      await current.exited;
    },
    async close() {
      closed = true;
      const current = thread;
      if (!current) return;
      current.port.ref();
      const answered = new Promise<void>((resolve) => current.port.on("message", (message: FromSenderThread) => message.kind === "closed" && resolve()));
      current.port.postMessage({ kind: "close" } satisfies ToSenderThread);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([answered, current.exited, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await current.worker.terminate();
      await current.exited;
    },
  };
}
