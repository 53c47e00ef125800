// A webhook receiver in a process of its own (see receiver-process.ts, which starts it). A receiver
// inside a busy test process accepts new connections late: libuv accepts one connection per
// listening socket per event-loop turn, and a test process's turns are slow when it also posts,
// polls and records. Senders then time out on connections still waiting in the accept queue.
// Here the event loop does nothing else.
//
// Listens on 127.0.0.1 (a free port), answers every POST with 200 after RECEIVER_DELAY_MS (default
// 0), and records each delivery under its path ("run"):
//
//   POST <path>           a delivery: recorded as {id: webhook-id, sender: x-herald-test-sender, at}
//   GET  /stats?run=P     {"requests", "unique", "firstAt", "lastAt"} for path P (epoch ms)
//   GET  /requests?run=P  every delivery recorded for path P, in arrival order
//
// Its first line on stdout is {"port": N} once it listens. SIGTERM/SIGINT stop it.
import { createServer } from "node:http";
import { setTimeout } from "node:timers";
import { URL } from "node:url";

const DELAY_MS = Number(process.env.RECEIVER_DELAY_MS ?? 0);
const runs = new Map();

function runFor(path) {
  let run = runs.get(path);
  if (!run) {
    run = { records: [], ids: new Set(), firstAt: null, lastAt: null };
    runs.set(path, run);
  }
  return run;
}

function sendJson(res, value) {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const server = createServer((req, res) => {
  if (req.method === "GET") {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const run = runFor(url.searchParams.get("run") ?? "");
    if (url.pathname === "/stats") return sendJson(res, { requests: run.records.length, unique: run.ids.size, firstAt: run.firstAt, lastAt: run.lastAt });
    if (url.pathname === "/requests") return sendJson(res, run.records);
    res.writeHead(404).end();
    return;
  }
  // Drain the body: a delivery counts once it has fully arrived.
  req.resume();
  req.on("end", () => {
    const at = Date.now();
    const run = runFor(req.url ?? "");
    const id = String(req.headers["webhook-id"]);
    const sender = req.headers["x-herald-test-sender"];
    run.records.push({ id, sender: typeof sender === "string" ? sender : null, at });
    run.ids.add(id);
    run.firstAt ??= at;
    run.lastAt = at;
    const answer = () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    };
    if (DELAY_MS > 0) setTimeout(answer, DELAY_MS);
    else answer();
  });
});
// Keep senders' connections open between bursts rather than have them reconnect.
server.keepAliveTimeout = 60_000;

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
