// Entry point of the sending thread (started by threaded-sender.ts): an ordinary HttpSender whose
// requests come in, and whose results go back, through the port, batched per turn both ways.

import { workerData } from "node:worker_threads";

import { makeHttpSender, type SendResult } from "./http-sender.ts";
import type { FromSenderThread, SenderThreadData, ToSenderThread } from "./sender-protocol.ts";

const { port, options } = workerData as SenderThreadData;
const sender = makeHttpSender(options);
let results: [number, SendResult][] = [];

function post(message: FromSenderThread): void {
  port.postMessage(message);
}

function answer(id: number, result: SendResult): void {
  if (results.length === 0) {
    setImmediate(() => {
      post({ kind: "results", results });
      results = [];
    });
  }
  results.push([id, result]);
}

port.on("message", (message: ToSenderThread) => {
  if (message.kind === "close") {
    void sender.close().finally(() => post({ kind: "closed" }));
    return;
  }
  for (const [id, request] of message.requests) {
    // send() settles every failure as an error result; a rejection would be a bug, but even then
    // the caller hears back instead of waiting forever.
    sender.send(request).then(
      (result) => answer(id, result),
      (error: unknown) => answer(id, { kind: "error", code: "ERROR", message: String(error), durationMs: 0 }),
    );
  }
});
