import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { startTestHerald, TEST_ENGINE,type TestHerald } from "../helpers/herald.ts";
import { call, createApp, createEndpoint, expect422, messageAttempts, postMessage } from "../profiles/support.ts";
import { assertCodatHeaders, CODAT_HEADERS, hasOpenssl, type HttpsReceiver, identityOf, makeTestPki, startHttpsReceiver, type TestPki } from "./support.ts";

/**
 * Endpoint mTLS against a real HTTPS receiver on 127.0.0.1 that only takes clients with a
 * certificate from the test CA. Herald trusts the receiver's certificate through
 * HERALD_TRUSTED_CA_FILE, and presents the endpoint's identity (Codat's format: PEM key, blank
 * line, PEM certificate) only once it is set. The manual clock keeps failed attempts from retrying.
 */
describe("consumers: mTLS", { skip: hasOpenssl() ? false : "the openssl CLI is not installed" }, () => {
  const clock = makeManualClock(Date.now());
  let pki: TestPki;
  let server: HttpsReceiver;
  let h: TestHerald;

  before(async () => {
    pki = makeTestPki();
    server = await startHttpsReceiver(pki);
    h = await startTestHerald({ clock, random: () => 0.5, env: { HERALD_TRUSTED_CA_FILE: pki.caFile } });
  });
  after(async () => {
    await h?.close();
    await server?.close();
    pki?.remove();
  });
  afterEach(() => {
    server.requests.length = 0;
  });

  const drain = () => h.herald.worker!.drain();
  /** A line from the middle of the client key's base64, which no response may contain. */
  const keyFragment = () => pki.clientKey.split("\n")[2]!;

  async function mtlsEndpoint() {
    const appId = await createApp(h, "Codat mTLS");
    const endpoint = await createEndpoint(h, appId, { url: `${server.url}/hook`, headers: CODAT_HEADERS });
    return { appId, endpointId: endpoint.id, mtlsPath: `/api/v1/app/${appId}/endpoint/${endpoint.id}/mtls` };
  }

  test("refused without a client certificate; accepted with the identity set (the server sees it); refused again once deleted", async () => {
    const { appId, endpointId, mtlsPath } = await mtlsEndpoint();
    await call(h, "GET", mtlsPath, undefined, 404);

    // No identity: the receiver refuses the TLS connection, the attempt fails without a response.
    // (Under TLS 1.3 the refusal comes after the client's side of the handshake, and undici reports
    // only that the connection closed.)
    const refusalsBefore = server.refusedHandshakes;
    const first = await postMessage(h, appId, { eventType: "invoice.created", payload: { n: 1 } });
    await drain();
    assert.equal(server.requests.length, 0);
    const [refused] = await messageAttempts(h, appId, first.id);
    assert.equal(refused.status, 2);
    assert.equal(refused.responseStatusCode, 0);
    assert.match(refused.response, /closed|reset|certificate|handshake|alert/i);
    assert.ok(server.refusedHandshakes > refusalsBefore, "the receiver did not refuse a TLS handshake");

    // With the identity, a resend and a new message are accepted.
    await call(h, "PUT", mtlsPath, { identity: identityOf(pki.clientKey, pki.clientCert) }, 204);
    const shown = await call(h, "GET", mtlsPath, undefined, 200);
    const certificate = new X509Certificate(pki.clientCert);
    assert.deepEqual(shown.body, {
      certificate: {
        subject: certificate.subject,
        issuer: certificate.issuer,
        validFrom: new Date(certificate.validFrom).toISOString(),
        validTo: new Date(certificate.validTo).toISOString(),
        fingerprint256: certificate.fingerprint256,
      },
    });
    assert.match(certificate.subject, /CN=herald-client/);
    assert.match(certificate.issuer, /CN=Herald Test CA/);

    clock.advance(1000);
    await h.svix.messageAttempt.resend(appId, first.id, endpointId);
    const second = await postMessage(h, appId, { eventType: "invoice.created", payload: { n: 2 } });
    await drain();
    assert.deepEqual(server.requests.map((request) => request.headers["webhook-id"]).sort(), [first.id, second.id].sort());
    for (const request of server.requests) {
      assert.equal(request.clientCn, "herald-client");
      assert.equal(request.path, "/hook");
      assertCodatHeaders(request.headers);
    }
    assert.equal((await messageAttempts(h, appId, second.id))[0]?.status, 0);

    // The key is in no API response.
    const responses = [
      shown.text,
      (await call(h, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}`, undefined, 200)).text,
      (await call(h, "GET", `/api/v1/app/${appId}/endpoint`, undefined, 200)).text,
      (await call(h, "GET", `/api/v1/app/${appId}/attempt/endpoint/${endpointId}`, undefined, 200)).text,
      (await call(h, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/headers`, undefined, 200)).text,
    ];
    for (const text of responses) {
      assert.ok(!text.includes("PRIVATE KEY") && !text.includes(keyFragment()), `the key leaked: ${text.slice(0, 200)}`);
    }

    // Deleted: the next delivery is refused again.
    const refusalsBeforeDelete = server.refusedHandshakes;
    await call(h, "DELETE", mtlsPath, undefined, 204);
    await call(h, "GET", mtlsPath, undefined, 404);
    const third = await postMessage(h, appId, { eventType: "invoice.created", payload: { n: 3 } });
    await drain();
    assert.equal(server.requests.length, 2);
    const [refusedAgain] = await messageAttempts(h, appId, third.id);
    assert.equal(refusedAgain.status, 2);
    assert.equal(refusedAgain.responseStatusCode, 0);
    assert.ok(server.refusedHandshakes > refusalsBeforeDelete, "the receiver did not refuse a TLS handshake");
  });

  test("the identity is sealed at rest (SQLite files never hold the key)", { skip: TEST_ENGINE === "sqlite" ? false : "checks the SQLite files" }, async () => {
    const { mtlsPath } = await mtlsEndpoint();
    await call(h, "PUT", mtlsPath, { identity: identityOf(pki.clientKey, pki.clientCert) }, 204);
    for (const name of readdirSync(h.dataDir)) {
      const bytes = readFileSync(path.join(h.dataDir, name));
      assert.equal(bytes.includes(keyFragment()), false, `${name} holds the key in clear`);
    }
  });

  test("an identity that is not exactly one private key and its certificate is refused with a 422 on body.identity", async () => {
    const { mtlsPath } = await mtlsEndpoint();
    for (const [what, identity] of [
      ["certificate without key", pki.clientCert],
      ["key without certificate", pki.clientKey],
      ["key of another certificate", identityOf(pki.strayKey, pki.clientCert)],
      ["two keys", identityOf(pki.clientKey, pki.strayKey) + "\n" + pki.clientCert],
      ["not PEM", "hello world"],
    ]) {
      const text = await expect422(h, "PUT", mtlsPath, { identity }, ["body", "identity"]);
      assert.ok(!text.includes(keyFragment()), `${what}: the error echoes the key`);
    }
    await call(h, "GET", mtlsPath, undefined, 404);

    // Certificate first, then the key: accepted too.
    await call(h, "PUT", mtlsPath, { identity: identityOf(pki.clientCert, pki.clientKey) }, 204);
    await call(h, "GET", mtlsPath, undefined, 200);

    // An http:// endpoint cannot use mTLS.
    const appId = await createApp(h, "Plain HTTP");
    const plain = await createEndpoint(h, appId, { url: "http://127.0.0.1:9/hook" });
    await expect422(h, "PUT", `/api/v1/app/${appId}/endpoint/${plain.id}/mtls`, { identity: identityOf(pki.clientKey, pki.clientCert) }, ["body", "identity"]);
  });
});
