import type { MessagePort } from "node:worker_threads";

import type { HttpSenderOptions, OutboundRequest, SendResult } from "./http-sender.ts";

/** What a sending thread (sender-thread.ts) is started with. */
export interface SenderThreadData {
  port: MessagePort;
  options: HttpSenderOptions;
}

/** Main thread to sending thread: the requests asked for in one turn travel as one message. */
export type ToSenderThread = { kind: "send"; requests: [id: number, request: OutboundRequest][] } | { kind: "close" };

/** Sending thread to main thread: the results that came in one turn, likewise; `closed` once its connections are closed. */
export type FromSenderThread = { kind: "results"; results: [id: number, result: SendResult][] } | { kind: "closed" };
