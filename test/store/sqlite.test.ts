import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, test } from "node:test";

import Database from "better-sqlite3";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { makeTestStore, TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { makeApp, makeEndpoint, makeMessage, MTLS_IDENTITY, pageReq, T0 } from "./fixtures.ts";

/** SQLite-only behaviour: the file format, migrations and several connections to one file. */
describe("sqlite store: file, migrations, connections", () => {
  let store: Store;
  let file: string;
  let cleanup: () => Promise<void>;
  const others: Store[] = [];

  beforeEach(async () => {
    ({ store, file, cleanup } = await makeTestStore());
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await cleanup();
  });

  const openSecond = async (secret = TEST_MAIN_SECRET) => {
    const second = await openSqliteStore({ file, secretBox: makeSecretBox(secret) });
    others.push(second);
    return second;
  };

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

    // The raw columns hold SecretBox envelopes, not the values.
    const raw = new Database(file, { readonly: true });
    try {
      const row = raw.prepare("SELECT * FROM endpoints WHERE id = ?").get(endpoint.id) as Record<string, unknown>;
      const rowText = JSON.stringify(row);
      assert.ok(rowText.includes("plaintext-marker"), "the row was read");
      assert.ok(!rowText.includes(signingKey) && !rowText.includes("U3VwZXJTZWNyZXRTaWduaW5nS2V5"));
      assert.ok(!rowText.includes(headerValue) && !rowText.includes("top-secret"));
      assert.ok(!rowText.includes("PRIVATE KEY") && !rowText.includes("private-key-marker") && !rowText.includes("certificate-marker"));
      assert.match(String(row.mtls_sealed), /^v1\.[^.]+\.[^.]+\.[^.]+$/);
      const plainRow = raw.prepare("SELECT mtls_sealed FROM endpoints WHERE id = ?").get(plain.id) as Record<string, unknown>;
      assert.equal(plainRow.mtls_sealed, null, "no identity, no envelope");
      for (const value of Object.values(row)) {
        if (typeof value === "string" && value.startsWith("v1.")) assert.equal(value.split(".").length, 4);
      }
    } finally {
      raw.close();
    }

    // And so do the bytes on disk: database file and WAL alike.
    await store.close();
    const bytes = Buffer.concat([file, file + "-wal"].filter(existsSync).map((f) => readFileSync(f)));
    assert.ok(bytes.includes("plaintext-marker.example.com"), "unencrypted columns are visible in the file");
    assert.ok(!bytes.includes(signingKey));
    assert.ok(!bytes.includes("top-secret-header-token"));
    assert.ok(!bytes.includes("private-key-marker"));
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

  test("migrate() is idempotent and records each migration once", async () => {
    const app = makeApp({ uid: "kept" });
    await store.createApplication(app);
    await store.migrate();
    await store.migrate();
    const second = await openSecond();
    await Promise.all([second.migrate(), store.migrate()]);

    const files = readdirSync(new URL("../../migrations/sqlite/", import.meta.url)).filter((f) => /^\d+_.+\.sql$/.test(f));
    const raw = new Database(file, { readonly: true });
    try {
      const rows = raw.prepare("SELECT version, name FROM migrations ORDER BY version").all() as { version: number; name: string }[];
      assert.deepEqual(
        rows.map((r) => `${String(r.version).padStart(4, "0")}_${r.name}.sql`),
        files.sort(),
      );
      assert.equal(rows[0].name, "init");
    } finally {
      raw.close();
    }
    assert.deepEqual(await store.getApplication("kept"), app);
    await store.ping();
  });

  test("two stores on the same file see each other's writes and never share a claim", async () => {
    const second = await openSecond();
    const app = makeApp();
    await store.createApplication(app);
    assert.deepEqual(await second.getApplication(app.id), app);

    const endpoint = makeEndpoint(app.id, { headers: { "X-Token": "abc" } });
    await second.createEndpoint(endpoint);
    assert.deepEqual(await store.getEndpoint(app.id, endpoint.id), endpoint);

    for (let i = 0; i < 10; i++) await store.createMessage(makeMessage(app.id, { createdAt: T0 + i }));
    const lease = (workerId: string) => ({ workerId, now: T0 + 100, leaseMs: 30_000 });
    const [a, b] = await Promise.all([store.claimJobs(6, lease("a")), second.claimJobs(6, lease("b"))]);
    assert.equal(a.length + b.length, 10);
    assert.equal(new Set([...a, ...b].map((j) => j.id)).size, 10, "no job claimed twice");

    const messages = await second.listMessages(app.id, { page: pageReq(20) });
    assert.equal(messages.items.length, 10);
  });

  test("close() is safe to call twice and the store is unusable afterwards", async () => {
    const second = await openSecond();
    await second.close();
    await second.close();
    await assert.rejects(second.getApplication("app_x"));
  });
});
