import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { attemptsOf, waitUntil } from "./support.ts";

/**
 * Receivers at their worst, side by side with a healthy one, over raw TCP so each misbehaves
 * exactly: one never answers, one trickles a byte at a time, one resets mid-response, one sends
 * 50 MB, one answers 200 with bytes that are not UTF-8 (NUL included). Whatever they do, the
 * healthy endpoint gets every message, every attempt to every endpoint is recorded, and what is
 * stored of a response is bounded and storable. The manual clock keeps retries out of the way.
 */
describe("delivery: hostile receivers", { timeout: 120_000 }, () => {
  const MESSAGES = 4;
  const clock = makeManualClock(Date.now());
  let h: TestHerald;
  let server: Server;
  const sockets = new Set<Socket>();
  const seen: Record<string, number> = {};
  let base = "";

  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
      let head = "";
      socket.on("data", (chunk: Buffer) => {
        if (head.includes("\r\n\r\n")) return;
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        const path = head.split(" ")[1] ?? "";
        seen[path] = (seen[path] ?? 0) + 1;
        behave(path, socket);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await startTestHerald({ clock, random: () => 0.5, env: { HERALD_REQUEST_TIMEOUT_MS: "2000", HERALD_RETRY_SCHEDULE: "3600" } });
  });
  after(async () => {
    await h?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  function behave(path: string, socket: Socket): void {
    switch (path) {
      case "/hang":
        return;
      case "/trickle": {
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n");
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write("x")), 200);
        socket.on("close", () => clearInterval(timer));
        return;
      }
      case "/reset":
        socket.write("HTTP/1.1 200 OK\r\ncontent-le");
        socket.resetAndDestroy();
        return;
      case "/huge": {
        const size = 50 * 1024 * 1024;
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, "y");
        let sent = 0;
        const pump = () => {
          while (sent < size && !socket.destroyed) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once("drain", pump);
          }
        };
        pump();
        return;
      }
      case "/binary": {
        const body = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]), randomBytes(64), Buffer.from("\u0000end")]);
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
        socket.end(body);
        return;
      }
      default:
        // One request per connection: this server reads only a connection's first request.
        socket.end("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
    }
  }

  test("the healthy endpoint gets every message; every attempt is recorded, bounded and storable", async () => {
    const app = await h.svix.application.create({ name: "Chaos" });
    const paths = ["/hang", "/trickle", "/reset", "/huge", "/binary", "/healthy"];
    const endpoints: Record<string, string> = {};
    for (const path of paths) endpoints[path] = (await h.svix.endpoint.create(app.id, { url: base + path })).id;
    const messages = [];
    for (let i = 0; i < MESSAGES; i++) messages.push(await h.svix.message.create(app.id, { eventType: "chaos.test", payload: { i } }));

    await waitUntil("the healthy endpoint's deliveries", async () => (seen["/healthy"] ?? 0) >= MESSAGES, 60_000);
    await h.herald.worker!.drain();

    for (const message of messages) {
      const attempts = await attemptsOf(h, app.id, message.id);
      const byPath = Object.fromEntries(paths.map((path) => [path, attempts.filter((attempt) => attempt.endpointId === endpoints[path])]));
      for (const path of paths) assert.equal(byPath[path].length, 1, `${path}: one attempt recorded for ${message.id}`);
      assert.equal(byPath["/healthy"][0].status, 0);
      for (const path of ["/hang", "/trickle", "/reset"]) assert.equal(byPath[path][0].status, 2, `${path} failed`);
      const huge = byPath["/huge"][0];
      assert.ok(huge.response.length <= 20_000, `a 50 MB answer is kept to the limit (${huge.response.length})`);
      const binary = byPath["/binary"][0];
      assert.equal(binary.status, 0);
      assert.equal(binary.responseStatusCode, 200);
      assert.ok(binary.response.endsWith("\uFFFDend") && !binary.response.includes("\u0000"), JSON.stringify(binary.response.slice(-10)));
    }
    assert.ok((await fetch(`${h.url}/api/v1/health`)).ok, "Herald is healthy after");
  });
});
