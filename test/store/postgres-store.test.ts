import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, test } from "node:test";

import pg from "pg";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Store } from "../../src/store/store.ts";
import { testServerUrl } from "../helpers/postgres.ts";
import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { makeApp, makeEndpoint, MTLS_IDENTITY, pageReq, T0 } from "./fixtures.ts";

/** PostgreSQL-only behaviour: what is stored, ordering, several store instances, close. */
describe("postgres store: storage and instances", () => {
  let store: Store;
  let url: string;
  let cleanup: () => Promise<void>;
  const others: Store[] = [];

  beforeEach(async () => {
    ({ store, url, cleanup } = await makePostgresTestStore());
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await cleanup();
  });

  const openSecond = async (secret = TEST_MAIN_SECRET) => {
    const second = await openPostgresStore({ url, secretBox: makeSecretBox(secret), poolSize: 2 });
    others.push(second);
    return second;
  };

  async function rawRow(sql: string, values: unknown[]): Promise<Record<string, unknown>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows[0] as Record<string, unknown>;
    } finally {
      await client.end();
    }
  }

  test("endpoint keys, headers and mTLS identity are encrypted at rest", async () => {
    const signingKey = "whsec_U3VwZXJTZWNyZXRTaWduaW5nS2V5VmFsdWU=";
    const headerValue = "Bearer top-secret-header-token";
    const app = makeApp();
    await store.createApplication(app);
    const endpoint = makeEndpoint(app.id, {
      url: "https://plaintext-marker.example.com/hook",
      keys: [{ key: signingKey, expiresAt: null }],
      headers: { Authorization: headerValue },
      mtlsIdentity: MTLS_IDENTITY,
    });
    await store.createEndpoint(endpoint);
    const plain = makeEndpoint(app.id, { createdAt: T0 + 1 });
    await store.createEndpoint(plain);
    assert.deepEqual((await store.getEndpoint(app.id, endpoint.id))?.keys, [{ key: signingKey, expiresAt: null }]);
    assert.equal((await store.getEndpoint(app.id, endpoint.id))?.mtlsIdentity, MTLS_IDENTITY);

    const row = await rawRow("SELECT * FROM endpoints WHERE id = $1", [endpoint.id]);
    const rowText = JSON.stringify(row);
    assert.ok(rowText.includes("plaintext-marker"), "the row was read");
    assert.ok(!rowText.includes(signingKey) && !rowText.includes("U3VwZXJTZWNyZXRTaWduaW5nS2V5"));
    assert.ok(!rowText.includes(headerValue) && !rowText.includes("top-secret"));
    assert.match(String(row.keys_sealed), /^v1\.[^.]+\.[^.]+\.[^.]+$/);
    assert.match(String(row.headers_sealed), /^v1\.[^.]+\.[^.]+\.[^.]+$/);
    assert.ok(!rowText.includes("PRIVATE KEY") && !rowText.includes("private-key-marker") && !rowText.includes("certificate-marker"));
    assert.match(String(row.mtls_sealed), /^v1\.[^.]+\.[^.]+\.[^.]+$/);
    assert.equal((await rawRow("SELECT mtls_sealed FROM endpoints WHERE id = $1", [plain.id])).mtls_sealed, null, "no identity, no envelope");
  });

  test("a store with another main secret cannot read the endpoint secrets", async () => {
    const app = makeApp();
    await store.createApplication(app);
    const endpoint = makeEndpoint(app.id);
    await store.createEndpoint(endpoint);
    const wrong = await openSecond("another-secret");
    assert.equal((await wrong.getApplication(app.id))?.id, app.id);
    await assert.rejects(wrong.getEndpoint(app.id, endpoint.id), /HERALD_MAIN_SECRET/);
  });

  test("ids are ordered byte-wise (COLLATE \"C\") even on a database with a linguistic default collation", async () => {
    // Base62 puts every upper-case letter before every lower-case one; a linguistic collation
    // (here ICU en-US, a common database default) sorts "a" before "B" and would break id order,
    // and so pagination and time ranges.
    const name = `herald_test_icu_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: testServerUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
      const icuUrl = new URL(testServerUrl());
      icuUrl.pathname = "/" + name;
      const icu = await openPostgresStore({ url: icuUrl.toString(), secretBox: makeSecretBox(TEST_MAIN_SECRET), poolSize: 1 });
      try {
        await icu.migrate();
        const ids = ["app_0000000000000000000000000B", "app_0000000000000000000000000Z", "app_0000000000000000000000000a"];
        for (const id of [...ids].reverse()) await icu.createApplication(makeApp({ id }));
        assert.deepEqual((await icu.listApplications(pageReq(10))).items.map((a) => a.id), ids);
        assert.deepEqual((await icu.listApplications(pageReq(1, ids[0]))).items.map((a) => a.id), [ids[1]]);
      } finally {
        await icu.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  test("JSON values come back byte for byte (text, not jsonb)", async () => {
    const app = makeApp({ metadata: { zeta: "1", alpha: "2", mid: "3" } });
    await store.createApplication(app);
    const row = await rawRow("SELECT metadata FROM applications WHERE id = $1", [app.id]);
    assert.equal(row.metadata, '{"zeta":"1","alpha":"2","mid":"3"}', "key order kept");
    assert.deepEqual(Object.keys((await store.getApplication(app.id))?.metadata ?? {}), ["zeta", "alpha", "mid"]);
  });

  test("two instances see each other's writes; ping", async () => {
    const second = await openSecond();
    const app = makeApp();
    await store.createApplication(app);
    assert.deepEqual(await second.getApplication(app.id), app);
    const endpoint = makeEndpoint(app.id, { headers: { "X-Token": "abc" } });
    await second.createEndpoint(endpoint);
    assert.deepEqual(await store.getEndpoint(app.id, endpoint.id), endpoint);
    await store.ping();
    await second.ping();
  });

  test("close() is safe to call twice and the store is unusable afterwards", async () => {
    const second = await openSecond();
    await second.ping();
    await second.close();
    await second.close();
    await assert.rejects(second.getApplication("app_x"));
    await assert.rejects(second.onWork(() => undefined));
  });
});
