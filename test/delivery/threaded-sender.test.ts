import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import type { OutboundRequest } from "../../src/delivery/http-sender.ts";
import { makeThreadedHttpSender, SENDER_THREAD_EXITED, type ThreadedHttpSender } from "../../src/delivery/threaded-sender.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";

const LOOPBACK = { allowedSubnets: ["127.0.0.0/8"], allowedDomains: [] };

function post(url: string, overrides: Partial<OutboundRequest> = {}): OutboundRequest {
  return { method: "POST", url, headers: { "content-type": "application/json" }, body: "{}", timeoutMs: 5_000, ...overrides };
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A request that never settles would hang the run: the suite has a deadline.
describe("threaded sender: requests are made in a worker thread", { timeout: 60_000 }, () => {
  let receiver: Receiver;
  let sender: ThreadedHttpSender;
  const exits: Error[] = [];

  before(async () => {
    receiver = await startReceiver();
    sender = makeThreadedHttpSender({ addressPolicy: LOOPBACK, proxyUrl: null, responseBodyLimit: 100 }, (error) => exits.push(error));
  });
  after(async () => {
    await sender.close();
    await receiver.close();
  });

  test("requests sent in the same turn each get their own response", async () => {
    receiver.respond = (request) => ({ status: 200 + (Number(request.headers["x-n"]) % 3), headers: { "x-echo": String(request.headers["x-n"]) }, body: `body of ${request.body}` });
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, n) => sender.send(post(`${receiver.url}/batch?n=${n}`, { headers: { "x-n": String(n) }, body: `request ${n}` }))),
    );
    results.forEach((result, n) => {
      assert.equal(result.kind, "response", JSON.stringify(result));
      if (result.kind !== "response") return;
      assert.equal(result.status, 200 + (n % 3));
      assert.equal(result.headers["x-echo"], String(n));
      assert.equal(result.body, `body of request ${n}`);
    });
    const received = receiver.requests.filter((request) => request.path.startsWith("/batch"));
    assert.equal(received.length, 120);
    assert.deepEqual(new Set(received.map((request) => request.body)), new Set(results.map((_, n) => `request ${n}`)));
  });

  test("the thread applies the sender's options: response limit, address policy, deadline, refused connections", async () => {
    receiver.respond = () => ({ status: 200, body: "x".repeat(500) });
    const limited = await sender.send(post(`${receiver.url}/limit`));
    assert.equal(limited.kind === "response" && limited.body.length, 100, "the response body is cut at responseBodyLimit");

    const strict = makeThreadedHttpSender({ addressPolicy: { allowedSubnets: [], allowedDomains: [] }, proxyUrl: null, responseBodyLimit: 100 });
    try {
      const before = receiver.requests.length;
      const blocked = await strict.send(post(`${receiver.url}/blocked`));
      assert.equal(blocked.kind === "error" && blocked.code, "EBLOCKEDADDRESS", JSON.stringify(blocked));
      assert.equal(receiver.requests.length, before, "nothing reached the receiver");
    } finally {
      await strict.close();
    }

    receiver.respond = () => ({ status: 200, delayMs: 1_000 });
    const late = await sender.send(post(`${receiver.url}/slow`, { timeoutMs: 200 }));
    assert.equal(late.kind === "error" && late.code, "TIMEOUT", JSON.stringify(late));

    const refused = await sender.send(post(`http://127.0.0.1:${await closedPort()}/`));
    assert.equal(refused.kind === "error" && refused.code, "ECONNREFUSED", JSON.stringify(refused));
  });

  test("a thread that stops settles its requests in flight as errors, and the next request starts a new one", async () => {
    receiver.respond = (request) => (request.path === "/held" ? { status: 200, delayMs: 2_000 } : { status: 204 });
    const before = receiver.requests.length;
    const held = sender.send(post(`${receiver.url}/held`));
    // (receiver.waitFor resolves when a response is sent; this one's is held.)
    while (receiver.requests.length === before) await sleep(10);
    await sender.terminateThread();
    const result = await held;
    assert.equal(result.kind, "error");
    assert.equal(result.kind === "error" && result.code, SENDER_THREAD_EXITED);
    assert.match(result.kind === "error" ? result.message : "", /may or may not have reached the receiver/);
    assert.equal(exits.length, 1, "the stop was reported once");

    const next = await sender.send(post(`${receiver.url}/after`));
    assert.equal(next.kind === "response" && next.status, 204, JSON.stringify(next));
  });

  test("after close() a request is refused at once", async () => {
    const closing = makeThreadedHttpSender({ addressPolicy: LOOPBACK, proxyUrl: null, responseBodyLimit: 100 });
    receiver.respond = () => ({ status: 200 });
    assert.equal((await closing.send(post(`${receiver.url}/before-close`))).kind, "response");
    await closing.close();
    const refused = await closing.send(post(`${receiver.url}/after-close`));
    assert.equal(refused.kind === "error" && refused.code, "SENDER_CLOSED");
    assert.equal(receiver.requests.filter((request) => request.path === "/after-close").length, 0);
  });

  test("an idle sender does not keep the process alive", async () => {
    // A child process sends one request and never calls close(): it must exit by itself once the
    // result is in, as it would with no thread (a held process would hit the test's timeout).
    receiver.respond = () => ({ status: 202 });
    const script = `
      const { makeThreadedHttpSender } = await import(${JSON.stringify(new URL("../../src/delivery/threaded-sender.ts", import.meta.url).href)});
      const sender = makeThreadedHttpSender({ addressPolicy: { allowedSubnets: ["127.0.0.0/8"], allowedDomains: [] }, proxyUrl: null, responseBodyLimit: 100 });
      const result = await sender.send({ method: "POST", url: ${JSON.stringify(`${receiver.url}/child`)}, headers: {}, body: "", timeoutMs: 5000 });
      console.log(result.kind + " " + result.status);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0);
    assert.equal(output.trim(), "response 202");
  });
});
