import assert from "node:assert/strict";
import { type AddressInfo, connect as createTcpConnection, createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";

import { Server as ProxyServer } from "proxy-chain";

import { makeManualClock } from "../../src/domain/clock.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { call, createApp, createEndpoint, messageAttempts, postMessage } from "../profiles/support.ts";
import { hasOpenssl, type HttpsReceiver, identityOf, makeTestPki, startHttpsReceiver, type TestPki } from "./support.ts";

/**
 * HERALD_PROXY_URL for real: deliveries through an HTTP CONNECT proxy (proxy-chain, on loopback),
 * to a plain HTTP receiver and to an HTTPS receiver that requires the endpoint's mTLS identity, and
 * through a SOCKS5 proxy. Each proxy records the targets it was asked for, so a delivery that went
 * around it fails the test.
 */
describe("consumers: deliveries through the egress proxy", { skip: hasOpenssl() ? false : "the openssl CLI is not installed" }, () => {
  const clock = makeManualClock(Date.now());
  let pki: TestPki;
  let tls: HttpsReceiver;
  let plain: Receiver;

  before(async () => {
    pki = makeTestPki();
    tls = await startHttpsReceiver(pki);
    plain = await startReceiver();
  });
  after(async () => {
    await tls?.close();
    await plain?.close();
    pki?.remove();
  });

  describe("an HTTP CONNECT proxy", () => {
    let proxy: ProxyServer;
    const targets: string[] = [];
    let h: TestHerald;

    before(async () => {
      proxy = new ProxyServer({
        port: 0,
        host: "127.0.0.1",
        prepareRequestFunction: ({ hostname, port }) => {
          targets.push(`${hostname}:${port}`);
          return {};
        },
      });
      await proxy.listen();
      h = await startTestHerald({ clock, env: { HERALD_PROXY_URL: `http://127.0.0.1:${proxy.port}`, HERALD_TRUSTED_CA_FILE: pki.caFile } });
    });
    after(async () => {
      await h?.close();
      await proxy?.close(true);
    });

    test("carries a plain HTTP delivery and a TLS delivery presenting the endpoint's mTLS identity", async () => {
      const appId = await createApp(h, "Proxied");
      await createEndpoint(h, appId, { url: `${plain.url}/plain` });
      const secure = await createEndpoint(h, appId, { url: `${tls.url}/secure` });
      await call(h, "PUT", `/api/v1/app/${appId}/endpoint/${secure.id}/mtls`, { identity: identityOf(pki.clientKey, pki.clientCert) }, 204);

      const message = await postMessage(h, appId, { eventType: "invoice.created", payload: { via: "proxy" } });
      await h.herald.worker!.drain();

      assert.deepEqual(plain.requests.map((request) => request.path), ["/plain"]);
      assert.deepEqual(tls.requests.map((request) => [request.path, request.clientCn]), [["/secure", "herald-client"]]);
      const attempts = await messageAttempts(h, appId, message.id);
      assert.deepEqual(attempts.map((attempt) => attempt.status), [0, 0]);
      assert.deepEqual([...targets].sort(), [new URL(plain.url).host, new URL(tls.url).host].sort(), "both went through the proxy");
    });
  });

  describe("a SOCKS5 proxy", () => {
    let socks: TcpServer;
    const targets: string[] = [];
    let h: TestHerald;

    before(async () => {
      socks = await startSocks5(targets);
      h = await startTestHerald({ clock, env: { HERALD_PROXY_URL: `socks5://127.0.0.1:${(socks.address() as AddressInfo).port}` } });
    });
    after(async () => {
      await h?.close();
      await new Promise((resolve) => socks.close(resolve));
    });

    test("carries a delivery", async () => {
      plain.requests.length = 0;
      const appId = await createApp(h, "Socks");
      await createEndpoint(h, appId, { url: `${plain.url}/socks` });
      await postMessage(h, appId, { eventType: "invoice.created", payload: { via: "socks5" } });
      await h.herald.worker!.drain();
      assert.deepEqual(plain.requests.map((request) => request.path), ["/socks"]);
      assert.deepEqual(targets, [new URL(plain.url).host]);
    });
  });
});

/**
 * A minimal SOCKS5 server (RFC 1928: no authentication, CONNECT to IPv4 or a domain name) that
 * records each target and pipes the bytes: enough to see Herald's SOCKS5 agent speak it.
 */
async function startSocks5(targets: string[]): Promise<TcpServer> {
  const server = createTcpServer((client: Socket) => {
    client.once("data", (greeting: Buffer) => {
      if (greeting[0] !== 5) return client.destroy();
      client.write(Buffer.from([5, 0]));
      client.once("data", (request: Buffer) => {
        const type = request[3];
        let host: string;
        let offset: number;
        if (type === 1) {
          host = [...request.subarray(4, 8)].join(".");
          offset = 8;
        } else if (type === 3) {
          host = request.subarray(5, 5 + request[4]).toString();
          offset = 5 + request[4];
        } else {
          return client.destroy();
        }
        const port = request.readUInt16BE(offset);
        targets.push(`${host}:${port}`);
        const upstream = createTcpConnection(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
