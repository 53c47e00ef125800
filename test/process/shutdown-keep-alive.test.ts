import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";

import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { ADMIN_TOKEN, createAppWithEndpoint, killAll, makeTempDir, removeTempDirs, startHeraldProcess, waitUntil } from "./process-helpers.ts";

/**
 * A client's keep-alive connection whose request is still being handled when SIGTERM comes: the
 * request is answered, the connection is closed after it, and Herald exits. Left open, the
 * connection would hold the process until the client hung up or the 72 s keep-alive timeout.
 */
let receiver: Receiver | undefined;
after(async () => {
  await killAll();
  await receiver?.close();
  removeTempDirs();
});

/** Resolves once nothing accepts connections on `port` any more (the server has stopped listening). */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ host: "127.0.0.1", port });
    probe.once("connect", () => {
      probe.destroy();
      resolve(false);
    });
    probe.once("error", () => resolve(true));
  });
}

test("SIGTERM during a keep-alive request: it is answered with Connection: close and Herald exits", { timeout: 60_000 }, async () => {
  receiver = await startReceiver();
  const herald = await startHeraldProcess(makeTempDir(), { env: { HERALD_LOG_LEVEL: "info" } });
  const { appId } = await createAppWithEndpoint(herald.url, receiver.url + "/hook");

  const body = JSON.stringify({ eventType: "test.event", payload: { n: 1 } });
  const pathname = `/api/v1/app/${appId}/msg`;
  const socket = net.connect({ host: "127.0.0.1", port: herald.port });
  let response = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => (response += chunk));
  let closedByServer = false;
  socket.once("end", () => (closedByServer = true));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));

  // The headers and half the body: Herald has routed the request and waits for the rest.
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  await waitUntil(() => herald.stdout().includes(pathname), 10_000, () => `Herald did not log the request\n${herald.describe()}`, 20);

  herald.signal("SIGTERM");
  await waitUntil(() => refusesConnections(herald.port), 10_000, () => `Herald still listens after SIGTERM\n${herald.describe()}`, 20);
  socket.write(body.slice(half));

  await waitUntil(() => closedByServer, 20_000, () => `Herald answered but kept the connection open:\n${response}`, 20);
  assert.match(response, /^HTTP\/1\.1 202 /, response);
  assert.match(response, /\r\nconnection: close\r\n/i, response);
  // Well under the 72 s the connection would otherwise have held the process.
  assert.deepEqual(await herald.waitForExit(20_000), { code: 0, signal: null }, herald.describe());
  socket.destroy();
});
