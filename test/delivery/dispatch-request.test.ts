import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";

import { Agent } from "undici";

import { type DispatchedRequest, dispatchRequest } from "../../src/delivery/dispatch-request.ts";

/**
 * dispatchRequest against a real server on 127.0.0.1, through an agent with one connection, so
 * what happens to the connection (reused, closed, never written to) can be seen from the server.
 */
describe("dispatchRequest: one request through undici's dispatch API", { timeout: 60_000 }, () => {
  let server: Server;
  let origin: string;
  /** Requests the server has seen, by path, and the connections they came on. */
  const seen: { path: string; socket: unknown }[] = [];
  let routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void> = {};

  before(async () => {
    server = createServer((request, response) => {
      seen.push({ path: request.url ?? "", socket: request.socket });
      request.resume();
      request.on("end", () => (routes[request.url ?? ""] ?? ((_, res: ServerResponse) => res.end("ok")))(request, response));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  beforeEach(() => {
    seen.length = 0;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = (path: string, overrides: Partial<DispatchedRequest> = {}): DispatchedRequest => ({
    origin,
    path,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"n":1}',
    timeoutMs: 5_000,
    bodyLimit: 10,
    ...overrides,
  });

  test("status, headers (repeated ones joined) and the body cut at the limit; the connection is reused", async () => {
    const agent = new Agent({ connections: 1 });
    routes = {
      "/headers": (_, response) => {
        response.setHeader("x-many", ["a", "b"]);
        response.writeHead(201, { "x-one": "1" }).end("0123456789abcdef");
      },
    };
    try {
      const first = await dispatchRequest(agent, request("/headers"));
      assert.equal(first.status, 201);
      assert.equal(first.headers["x-one"], "1");
      assert.equal(first.headers["x-many"], "a, b");
      assert.equal(first.body, "0123456789");
      await dispatchRequest(agent, request("/plain"));
      const [a, b] = seen.slice(-2);
      assert.equal(a.socket, b.socket, "the second request went on the first one's connection");
    } finally {
      await agent.close();
    }
  });

  test("a body far past the limit is answered with what was kept, and its connection is closed, not reused", async () => {
    const agent = new Agent({ connections: 1 });
    routes = {
      // 3 MiB: past the limit and the 1 MiB read beyond it.
      "/huge": (_, response) => {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, "y");
        for (let i = 0; i < 48; i++) response.write(chunk);
        response.end();
      },
    };
    try {
      const huge = await dispatchRequest(agent, request("/huge"));
      assert.deepEqual([huge.status, huge.body], [200, "yyyyyyyyyy"]);
      await dispatchRequest(agent, request("/after-huge"));
      const [a, b] = seen.slice(-2);
      assert.deepEqual([a.path, b.path], ["/huge", "/after-huge"]);
      assert.notEqual(a.socket, b.socket, "the huge response's connection was given up");
    } finally {
      await agent.close();
    }
  });

  test("a request still waiting for a connection times out on time and is never written", async () => {
    const agent = new Agent({ connections: 1 });
    let release: () => void = () => {};
    routes = { "/held": (_, response) => (release = () => response.end("late")) };
    try {
      const held = dispatchRequest(agent, request("/held"));
      while (!seen.some((entry) => entry.path === "/held")) await new Promise((resolve) => setTimeout(resolve, 10));
      // The one connection is busy with /held: this one waits in the agent's queue until its time is up.
      await assert.rejects(dispatchRequest(agent, request("/queued", { timeoutMs: 200 })), { name: "TimeoutError" });
      release();
      assert.equal((await held).body, "late");
      await dispatchRequest(agent, request("/after-queued"));
      assert.deepEqual(
        seen.map((entry) => entry.path),
        ["/held", "/after-queued"],
        "the timed-out request never reached the server",
      );
    } finally {
      await agent.close();
    }
  });

  test("connection errors and headers timeouts reject with undici's error", async () => {
    const agent = new Agent({ connections: 1 });
    routes = { "/silent": () => {} };
    try {
      await assert.rejects(dispatchRequest(agent, request("/", { origin: "http://127.0.0.1:1" })), { code: "ECONNREFUSED" });
      await assert.rejects(dispatchRequest(agent, request("/silent", { timeoutMs: 200 })), (error: Error & { code?: string; name: string }) => {
        assert.ok(error.code === "UND_ERR_HEADERS_TIMEOUT" || error.name === "TimeoutError", String(error));
        return true;
      });
    } finally {
      await agent.close();
    }
  });
});
