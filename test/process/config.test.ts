import assert from "node:assert/strict";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";

import { ConfigError, DEFAULT_RETRY_SCHEDULE_SECONDS, resolveConfig } from "../../src/config/config.ts";
import { loadOrCreateSecretFile } from "../../src/config/data-dir.ts";
import { DELIVERY_OPTION_NAMES } from "../../src/domain/delivery-options.ts";
import { freePort, killAll, makeTempDir, removeTempDirs, spawnHerald } from "./process-helpers.ts";

after(async () => {
  await killAll();
  removeTempDirs();
});

describe("a bad HERALD_* value stops the process with a message naming the variable", { concurrency: true }, () => {
  const cases: [string, string][] = [
    ["HERALD_PORT", "80a"],
    ["HERALD_LOG_LEVEL", "loud"],
    ["HERALD_ALLOWED_SUBNETS", "10.0.0.0/33"],
    ["HERALD_RETRY_SCHEDULE", "5,x"],
    ["HERALD_PROXY_URL", "ftp://x"],
  ];
  for (const [variable, value] of cases) {
    test(`${variable}=${value}`, async () => {
      const dataDir = path.join(makeTempDir(), "data");
      const herald = spawnHerald(["serve"], { dataDir, port: await freePort(), env: { [variable]: value } });
      const exit = await herald.waitForExit();
      assert.notEqual(exit.code, 0, herald.describe());
      assert.equal(exit.signal, null);
      assert.match(herald.stderr(), new RegExp(`^Invalid configuration: ${variable} `), herald.describe());
      assert.doesNotMatch(herald.stderr(), /\n\s+at /, "a message, not a stack trace");
      assert.throws(() => statSync(dataDir), { code: "ENOENT" }, "nothing was written to the data directory");
    });
  }
});

describe("resolveConfig()", () => {
  test("defaults", () => {
    assert.deepEqual(resolveConfig({}), {
      port: 8071,
      host: "127.0.0.1",
      publicUrl: "http://127.0.0.1:8071",
      dataDir: path.resolve("data"),
      databaseUrl: null,
      databasePoolSize: 10,
      adminToken: null,
      mainSecret: null,
      allowedSubnets: [],
      allowedDomains: [],
      proxyUrl: null,
      trustedCa: null,
      logLevel: "info",
      retryScheduleSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000],
      requestTimeoutMs: 15_000,
      disableAfterHours: 120,
      workerConcurrency: 256,
      senderThread: true,
      responseBodyLimit: 20_000,
      retentionDays: 90,
      apiRequestTimeoutMs: 30_000,
      apiRateLimit: 100,
      apiAdminRateLimit: 0,
      sensitiveHeaders: [],
      corsOrigins: ["*"],
      portal: {
        frameAncestors: ["*"],
        displayName: null,
        logoUrl: null,
        primaryColor: null,
        fontFamily: null,
        editableDeliveryOptions: [...DELIVERY_OPTION_NAMES],
        enableTransformations: true,
        enableMtls: true,
        enableChannels: true,
      },
    });
  });

  test("portal and CORS settings are checked", () => {
    const config = resolveConfig({
      HERALD_CORS_ORIGINS: "https://app.example.com, https://*.example.org",
      HERALD_PORTAL_FRAME_ANCESTORS: "'self' https://app.example.com",
      HERALD_PORTAL_PRIMARY_COLOR: "#3b5bdb",
      HERALD_PORTAL_EDITABLE_OPTIONS: "method,filter",
      HERALD_PORTAL_MTLS: "false",
    });
    assert.deepEqual(config.corsOrigins, ["https://app.example.com", "https://*.example.org"]);
    assert.deepEqual(config.portal.frameAncestors, ["'self'", "https://app.example.com"]);
    assert.equal(config.portal.primaryColor, "#3b5bdb");
    assert.deepEqual(config.portal.editableDeliveryOptions, ["method", "filter"]);
    assert.equal(config.portal.enableMtls, false);
    assert.throws(() => resolveConfig({ HERALD_CORS_ORIGINS: "javascript:alert(1)" }), /HERALD_CORS_ORIGINS/);
    assert.throws(() => resolveConfig({ HERALD_PORTAL_PRIMARY_COLOR: "red; x" }), /HERALD_PORTAL_PRIMARY_COLOR/);
    assert.throws(() => resolveConfig({ HERALD_PORTAL_EDITABLE_OPTIONS: "method,eval" }), /HERALD_PORTAL_EDITABLE_OPTIONS/);
  });

  test("reads HERALD_CONFIG_FILE (JSON), and the environment wins over it", () => {
    const file = path.join(makeTempDir(), "herald.json");
    writeFileSync(
      file,
      JSON.stringify({
        HERALD_PORT: 9000,
        HERALD_LOG_LEVEL: "debug",
        HERALD_RETRY_SCHEDULE: [1, 2, 3],
        HERALD_ALLOWED_SUBNETS: ["10.0.0.0/8", "127.0.0.1"],
        HERALD_WORKER_CONCURRENCY: 4,
      }),
    );
    const config = resolveConfig({ HERALD_CONFIG_FILE: file, HERALD_PORT: "9001", HERALD_WORKER_CONCURRENCY: "8" });
    assert.equal(config.port, 9001);
    assert.equal(config.workerConcurrency, 8);
    assert.equal(config.logLevel, "debug");
    assert.deepEqual(config.retryScheduleSeconds, [1, 2, 3]);
    assert.deepEqual(config.allowedSubnets, ["10.0.0.0/8", "127.0.0.1/32"]);
    assert.equal(config.publicUrl, "http://127.0.0.1:9001");
  });

  test("a bad config file is a ConfigError naming HERALD_CONFIG_FILE", () => {
    const dir = makeTempDir();
    const write = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    for (const file of [write("bad.json", "{ nope"), write("array.json", "[]"), write("unknown.json", '{"PORT": 1}'), path.join(dir, "missing.json")]) {
      assert.throws(() => resolveConfig({ HERALD_CONFIG_FILE: file }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /HERALD_CONFIG_FILE/);
        return true;
      });
    }
    // A bad value in the file is reported under its variable's name.
    assert.throws(() => resolveConfig({ HERALD_CONFIG_FILE: write("port.json", '{"HERALD_PORT": "x"}') }), /HERALD_PORT/);
  });

  test("the result is frozen, lists included, and configs share nothing", () => {
    const config = resolveConfig({ HERALD_ALLOWED_SUBNETS: "10.0.0.0/8", HERALD_ALLOWED_DOMAINS: "example.com" });
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    for (const list of [config.retryScheduleSeconds, config.allowedSubnets, config.allowedDomains]) {
      assert.ok(Object.isFrozen(list));
      assert.throws(() => (list as unknown[]).push(1), TypeError);
    }
    assert.notEqual(config.retryScheduleSeconds, DEFAULT_RETRY_SCHEDULE_SECONDS);
    assert.deepEqual(resolveConfig({}).retryScheduleSeconds, DEFAULT_RETRY_SCHEDULE_SECONDS);
  });

  test("HERALD_TRUSTED_CA_FILE must be a readable file of PEM certificates", () => {
    const notPem = path.join(makeTempDir(), "ca.pem");
    writeFileSync(notPem, "not a certificate");
    for (const file of ["/nonexistent/ca.pem", notPem]) {
      assert.throws(() => resolveConfig({ HERALD_TRUSTED_CA_FILE: file }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^Invalid configuration: HERALD_TRUSTED_CA_FILE /);
        return true;
      });
    }
  });

  test("other values are checked too", () => {
    const bad: Record<string, string> = {
      HERALD_PORT: "70000",
      HERALD_ADMIN_TOKEN: "short",
      HERALD_MAIN_SECRET: "short",
      HERALD_DATABASE_URL: "mysql://db",
      HERALD_PUBLIC_URL: "not a url",
      HERALD_ALLOWED_DOMAINS: "exa mple..com",
      HERALD_REQUEST_TIMEOUT_MS: "10",
      HERALD_WORKER_CONCURRENCY: "0",
      HERALD_SENDER_THREAD: "yes",
      HERALD_RETENTION_DAYS: "0",
    };
    for (const [variable, value] of Object.entries(bad)) {
      assert.throws(() => resolveConfig({ [variable]: value }), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${variable}=${value}`);
        assert.match(error.message, new RegExp(variable));
        return true;
      });
    }
    const config = resolveConfig({ HERALD_HOST: "::1", HERALD_PORT: "0", HERALD_PUBLIC_URL: "https://hooks.example.com/", HERALD_LOG_LEVEL: "WARN" });
    assert.equal(config.publicUrl, "https://hooks.example.com");
    assert.equal(config.logLevel, "warn");
    assert.equal(resolveConfig({ HERALD_HOST: "::1", HERALD_PORT: "8080" }).publicUrl, "http://[::1]:8080");
    assert.equal(resolveConfig({ HERALD_SENDER_THREAD: "false" }).senderThread, false);
    assert.equal(resolveConfig({ HERALD_SENDER_THREAD: " 0 " }).senderThread, false);
    assert.equal(resolveConfig({ HERALD_SENDER_THREAD: "TRUE" }).senderThread, true);
    assert.throws(() => resolveConfig({ HERALD_SENDER_THREAD: "auto" }), /HERALD_SENDER_THREAD must be true or false/);
  });
});

describe("loadOrCreateSecretFile()", () => {
  test("creates the file once (mode 0600) and reads it back afterwards", () => {
    const dir = path.join(makeTempDir(), "nested", "data");
    const first = loadOrCreateSecretFile(dir, "admin-token", "hrld_admin_");
    assert.equal(first.created, true);
    assert.match(first.value, /^hrld_admin_[\w-]{43}$/);
    assert.equal(statSync(path.join(dir, "admin-token")).mode & 0o777, 0o600);
    assert.deepEqual(loadOrCreateSecretFile(dir, "admin-token", "hrld_admin_"), { value: first.value, created: false });
    assert.deepEqual(readdirSync(dir), ["admin-token"], "no temporary file is left behind");
  });

  test("an empty file is refused, not used as an empty secret", () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, "main-secret"), "\n");
    assert.throws(() => loadOrCreateSecretFile(dir, "main-secret", ""), /main-secret is empty/);
  });
});
