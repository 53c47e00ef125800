/**
 * The relay ceiling: the least any webhook relay must do per message, with nothing else. It stands
 * where Herald stands (its own process, between the load generator and the receiver) and does only
 * the HTTP work Herald cannot avoid: read one POST, answer 202, send the body on with undici over
 * keep-alive connections. No storage, no validation, no signing, no retries.
 *
 * On a 2-core machine the client and the receiver cost what they cost in the raw run, and the relay
 * serves one request and makes one per message (about the receiver's and the client's work again),
 * so its rate bounds what Herald can reach end to end.
 *
 *   node --import tsx bench/lib/relay-main.ts <receiver origin> <connections>
 *
 * Listens on 127.0.0.1 (a free port) and writes {"port": N} as its first line on stdout.
 * POST <path> is forwarded to <receiver origin><path> with a `webhook-id` of its own, so the
 * receiver counts each message once. SIGTERM/SIGINT stop it.
 */
import { createServer } from "node:http";

import { Pool } from "undici";

import { serveOnLoopback } from "./serve-on-loopback.ts";

const [receiverOrigin, connectionsArgument] = process.argv.slice(2);
if (!receiverOrigin || !/^http:\/\/127\.0\.0\.1:\d+$/.test(receiverOrigin)) {
  throw new Error(`relay-main: the receiver origin must be http://127.0.0.1:<port>, got ${String(receiverOrigin)}`);
}
const connections = Number(connectionsArgument);
if (!Number.isInteger(connections) || connections < 1) throw new Error(`relay-main: connections must be a positive integer, got ${String(connectionsArgument)}`);

const pool = new Pool(receiverOrigin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
let sent = 0;

function forward(path: string, body: Buffer): void {
  const id = `relay_${++sent}`;
  pool
    .request({ method: "POST", path, headers: { "content-type": "application/json", "webhook-id": id }, body })
    .then((response) => response.body.dump())
    .catch((error: unknown) => process.stderr.write(`relay: ${id} failed: ${String(error)}\n`));
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    res.writeHead(202).end();
    forward(req.url ?? "/", Buffer.concat(chunks));
  });
});
serveOnLoopback(server, () => pool.close());
