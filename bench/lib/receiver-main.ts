/**
 * The benchmark's webhook receiver, in a process of its own so that answering never shares an
 * event loop with the load generator. Started by receiver.ts; listens on 127.0.0.1 (a free port)
 * and writes {"port": N} as its first line on stdout.
 *
 *   POST <path>            answered 204 and counted under <path> without its query string (a "run").
 *                          A JSON body with a numeric `sentAt` (epoch ms, sub-ms precision) adds a
 *                          latency sample: arrival − sentAt, both read from this host's clock.
 *   GET  /stats?run=P      {"requests", "unique", "firstAt", "lastAt", "held"} for run P
 *   GET  /latencies?run=P  every latency sample of run P, in ms
 *   POST /hold?run=P       from now on, requests to run P are counted but left unanswered…
 *   POST /release?run=P    …until this answers them all (and later ones at once again).
 *
 * "unique" counts distinct (webhook-id, path with query) pairs, so one message fanned out to many
 * endpoints at different URLs counts once per endpoint. SIGTERM/SIGINT stop it.
 */
import { createServer, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";

import { serveOnLoopback } from "./serve-on-loopback.ts";

interface Run {
  requests: number;
  keys: Set<string>;
  firstAt: number | null;
  lastAt: number | null;
  latencies: number[];
  held: ServerResponse[] | null;
}

const runs = new Map<string, Run>();

function runFor(name: string): Run {
  let run = runs.get(name);
  if (!run) {
    run = { requests: 0, keys: new Set(), firstAt: null, lastAt: null, latencies: [], held: null };
    runs.set(name, run);
  }
  return run;
}

/** Epoch ms with sub-ms precision (the sender uses the same formula). */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method === "GET" || url.pathname === "/hold" || url.pathname === "/release") {
    req.resume();
    const run = runFor(url.searchParams.get("run") ?? "");
    switch (url.pathname) {
      case "/stats":
        return sendJson(res, { requests: run.requests, unique: run.keys.size, firstAt: run.firstAt, lastAt: run.lastAt, held: run.held?.length ?? 0 });
      case "/latencies":
        return sendJson(res, run.latencies);
      case "/hold":
        run.held ??= [];
        return sendJson(res, { held: true });
      case "/release": {
        const held = run.held ?? [];
        run.held = null;
        for (const waiting of held) waiting.writeHead(204).end();
        return sendJson(res, { released: held.length });
      }
      default:
        res.writeHead(404).end();
        return;
    }
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const at = now();
    const run = runFor(url.pathname);
    run.requests++;
    run.keys.add(`${String(req.headers["webhook-id"])} ${req.url ?? ""}`);
    run.firstAt ??= at;
    run.lastAt = at;
    const body = Buffer.concat(chunks);
    // Every body is parsed, raw or from Herald, so both cost the receiver the same.
    try {
      const sentAt = (JSON.parse(body.toString("utf8")) as { sentAt?: unknown }).sentAt;
      if (typeof sentAt === "number") run.latencies.push(at - sentAt);
    } catch {
      // not JSON: no sample
    }
    if (run.held) run.held.push(res);
    else res.writeHead(204).end();
  });
});
server.requestTimeout = 0;
server.headersTimeout = 60_000;
serveOnLoopback(server);
