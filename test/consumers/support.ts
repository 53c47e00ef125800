import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";

import { waitUntil } from "../delivery/support.ts";
import type { TestHerald } from "../helpers/herald.ts";
import type { ReceivedRequest } from "../helpers/receiver.ts";
import { call } from "../profiles/support.ts";

/**
 * Shared helpers for the hosted-Svix consumer features (rate limits, transformations, mTLS,
 * replay); not a test file itself.
 */

/** Custom headers a Codat-style consumer sets on its endpoint; every delivery must carry them. */
export const CODAT_HEADERS = { Authorization: "Bearer codat-consumer-token", "X-Codat-ClientId": "client-7f3a" } as const;

/** Asserts a received request carries CODAT_HEADERS. */
export function assertCodatHeaders(headers: ReceivedRequest["headers"]): void {
  assert.equal(headers.authorization, CODAT_HEADERS.Authorization);
  assert.equal(headers["x-codat-clientid"], CODAT_HEADERS["X-Codat-ClientId"]);
}

// ---------------------------------------------------------------------------------------------
// Background tasks

export interface TaskView {
  id: string;
  status: string;
  task: string;
  data: Record<string, unknown>;
}

/** Polls GET /api/v1/background-task/{id} until the task is finished (bounded). */
export async function finishedTask(h: TestHerald, taskId: string, timeoutMs = 10_000): Promise<TaskView> {
  return waitUntil(
    `background task ${taskId} to finish`,
    async () => {
      const task = (await call(h, "GET", `/api/v1/background-task/${taskId}`, undefined, 200)).body as TaskView;
      return task.status === "finished" ? task : undefined;
    },
    timeoutMs,
  );
}

// ---------------------------------------------------------------------------------------------
// Rate limits

export interface RateLimitStatus {
  status: "Ok" | "RateLimited";
  throttledSince: string | null;
}

export async function rateLimitStatus(h: TestHerald, appId: string, endpointId: string): Promise<RateLimitStatus> {
  return (await call(h, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/rate-limit-status`, undefined, 200)).body as RateLimitStatus;
}

/** What the receiver saw of a rate: the busiest 1 s sliding window and the overall rate. */
export interface ObservedRate {
  count: number;
  /** Most arrivals within any window of `windowMs` (a window starting at each arrival). */
  maxInWindow: number;
  /** (n - 1) / (last - first), per second. */
  overallPerSecond: number;
  spanMs: number;
}

export function observeRate(arrivals: number[], windowMs = 1000): ObservedRate {
  const times = [...arrivals].sort((a, b) => a - b);
  let maxInWindow = 0;
  for (let start = 0, end = 0; start < times.length; start++) {
    while (end < times.length && times[end]! - times[start]! < windowMs) end++;
    maxInWindow = Math.max(maxInWindow, end - start);
  }
  const spanMs = times.length > 1 ? times.at(-1)! - times[0]! : 0;
  return { count: times.length, maxInWindow, overallPerSecond: spanMs > 0 ? ((times.length - 1) * 1000) / spanMs : Infinity, spanMs };
}

// ---------------------------------------------------------------------------------------------
// mTLS: a throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl

export interface TestPki {
  dir: string;
  caFile: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** A key that belongs to none of the certificates (for the mismatched-identity case). */
  strayKey: string;
  remove(): void;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Generates the PKI with the openssl CLI (P-256 keys, valid one day) in a fresh temp directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), "herald-pki-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

  openssl("req", "-x509", ...newKey, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Herald Test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");

  writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  openssl("req", ...newKey, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
    "-extfile", "server.ext", "-out", "server.pem");

  writeFileSync(file("client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl("req", ...newKey, "-keyout", "client.key", "-out", "client.csr", "-subj", "/O=Herald Tests/CN=herald-client");
  openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
    "-extfile", "client.ext", "-out", "client.pem");

  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "stray.key");

  const read = (name: string) => readFileSync(file(name), "utf8");
  return {
    dir,
    caFile: file("ca.pem"),
    caCert: read("ca.pem"),
    serverKey: read("server.key"),
    serverCert: read("server.pem"),
    clientKey: read("client.key"),
    clientCert: read("client.pem"),
    strayKey: read("stray.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The Codat portal's identity format: the PEM key, a blank line, the PEM certificate. */
export function identityOf(key: string, cert: string): string {
  return `${key.trim()}\n\n${cert.trim()}\n`;
}

export interface TlsRequest extends ReceivedRequest {
  /** Subject CN of the client certificate the server verified. */
  clientCn: string | null;
}

export interface HttpsReceiver {
  url: string;
  requests: TlsRequest[];
  /** TLS handshakes the server refused (no or untrusted client certificate). */
  refusedHandshakes: number;
  close(): Promise<void>;
}

/**
 * A real HTTPS receiver on 127.0.0.1 that takes only clients presenting a certificate signed by
 * the test CA (requestCert + rejectUnauthorized), answering 200 to every request it gets.
 */
export async function startHttpsReceiver(pki: TestPki): Promise<HttpsReceiver> {
  const receiver: HttpsReceiver = { url: "", requests: [], refusedHandshakes: 0, close: async () => {} };
  const server: Server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        receiver.requests.push({
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          receivedAt: Date.now(),
          clientCn: peer && peer.subject ? String(peer.subject.CN) : null,
        });
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("accepted");
      });
    },
  );
  server.on("tlsClientError", () => (receiver.refusedHandshakes += 1));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
