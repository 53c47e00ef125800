import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { assertError, assertValidation, eventually, raw, useHerald, useReceiver } from "./api-helpers.ts";

/**
 * `GET /api/v1/stats/app/{app_id}/attempt`: Svix's attempt statistics with Herald's latency and
 * per-endpoint extensions, from real deliveries to a real receiver, on the engine of the run.
 */

interface StatsOut {
  startDate: string;
  endDate: string;
  period: string;
  data: { successCount: number[]; failureCount: number[]; canceledCount: number[] };
  latency: { p50: (number | null)[]; p90: (number | null)[]; p99: (number | null)[] };
  endpoints: Array<{ endpointId: string; successCount: number; failureCount: number; canceledCount: number; p50: number | null; p90: number | null; p99: number | null }>;
}

const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);
const MINUTE = 60_000;

describe("attempt statistics API", () => {
  // Failures are retried an hour later: after the test.
  const herald = useHerald({ env: { HERALD_RETRY_SCHEDULE: "3600" } });
  const receiver = useReceiver();
  let appId: string;
  let otherAppId: string;
  let ok: string;
  let failing: string;
  let canceling: string;
  /** A window around the deliveries, made when they were. */
  let window: string;

  async function stats(query: string, token?: string, app = appId) {
    const h = herald();
    return raw(h, token ?? h.adminToken)("GET", `/api/v1/stats/app/${app}/attempt${query}`);
  }

  before(async () => {
    const h = herald();
    const r = receiver();
    r.respond = (request) => (request.path === "/fail" ? { status: 500, body: "down" } : { status: 200, body: "ok" });
    appId = (await h.svix.application.create({ name: "Stats" })).id;
    otherAppId = (await h.svix.application.create({ name: "Other" })).id;
    ok = (await h.svix.endpoint.create(appId, { url: `${r.url}/ok`, uid: "ok-endpoint" })).id;
    failing = (await h.svix.endpoint.create(appId, { url: `${r.url}/fail` })).id;
    canceling = (await h.svix.endpoint.create(appId, { url: `${r.url}/never` })).id;
    await h.svix.endpoint.transformationPartialUpdate(appId, canceling, {
      enabled: true,
      code: "function handler(webhook) { webhook.cancel = true; return webhook; }",
    });
    const now = Date.now();
    window = `?startDate=${new Date(now - 60 * MINUTE).toISOString()}&endDate=${new Date(now + 10 * MINUTE).toISOString()}`;

    for (let i = 0; i < 3; i++) await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { i } });
    await r.waitFor(6);
    // The attempts are recorded just after the receiver answered.
    await eventually(
      async () => (await stats(`${window}&period=FiveMinutes`)).body as StatsOut,
      (out) => sum(out.data.successCount) === 3 && sum(out.data.failureCount) === 3 && sum(out.data.canceledCount) === 3,
    );
  });

  test("counts successes, failures and cancels per 5-minute bucket, with latency percentiles", async () => {
    const response = await stats(`${window}&period=FiveMinutes`);
    assert.equal(response.status, 200);
    const out = response.body as StatsOut;
    assert.equal(out.period, "FiveMinutes");
    const start = Date.parse(out.startDate);
    const end = Date.parse(out.endDate);
    assert.equal(start % (5 * MINUTE), 0, "startDate is floored to the period");
    const buckets = (end - start) / (5 * MINUTE);
    assert.ok(Number.isInteger(buckets) && buckets >= 14, `whole buckets over the window: ${out.startDate} … ${out.endDate}`);
    for (const series of [out.data.successCount, out.data.failureCount, out.data.canceledCount, out.latency.p50, out.latency.p90, out.latency.p99]) {
      assert.equal(series.length, buckets);
    }
    assert.deepEqual([sum(out.data.successCount), sum(out.data.failureCount), sum(out.data.canceledCount)], [3, 3, 3]);
    // A bucket with requests has percentiles, in order; one without has none.
    out.latency.p50.forEach((p50, i) => {
      const requests = out.data.successCount[i]! + out.data.failureCount[i]!;
      if (requests === 0) {
        assert.deepEqual([p50, out.latency.p90[i], out.latency.p99[i]], [null, null, null]);
      } else {
        assert.ok(p50 !== null && p50 >= 0);
        assert.ok(p50 <= out.latency.p90[i]! && out.latency.p90[i]! <= out.latency.p99[i]!);
      }
    });

    const byEndpoint = new Map(out.endpoints.map((entry) => [entry.endpointId, entry]));
    assert.deepEqual([...byEndpoint.keys()].sort(), [ok, failing, canceling].sort());
    assert.deepEqual([byEndpoint.get(ok)!.successCount, byEndpoint.get(ok)!.failureCount, byEndpoint.get(ok)!.canceledCount], [3, 0, 0]);
    assert.deepEqual([byEndpoint.get(failing)!.successCount, byEndpoint.get(failing)!.failureCount], [0, 3]);
    assert.equal(byEndpoint.get(canceling)!.canceledCount, 3);
    assert.equal(byEndpoint.get(canceling)!.p50, null, "a canceled message made no request");
    assert.notEqual(byEndpoint.get(ok)!.p99, null);
  });

  test("OneHour and OneDay sum the same attempts; the defaults are OneDay over 7 days up to now", async () => {
    for (const period of ["OneHour", "OneDay"]) {
      const out = (await stats(`${window}&period=${period}`)).body as StatsOut;
      assert.equal(out.period, period);
      assert.deepEqual([sum(out.data.successCount), sum(out.data.failureCount), sum(out.data.canceledCount)], [3, 3, 3], period);
    }
    const defaults = await stats("");
    assert.equal(defaults.status, 200);
    const out = defaults.body as StatsOut;
    assert.equal(out.period, "OneDay");
    assert.ok(out.data.successCount.length === 7 || out.data.successCount.length === 8);
    assert.ok(Date.parse(out.endDate) > Date.now());
    assert.equal(sum(out.data.successCount), 3);
  });

  test("endpointId keeps one endpoint's attempts, by id or uid; an unknown one is 404", async () => {
    for (const id of [failing, "ok-endpoint"]) {
      const out = (await stats(`${window}&period=OneHour&endpointId=${id}`)).body as StatsOut;
      const expected = id === failing ? [0, 3] : [3, 0];
      assert.deepEqual([sum(out.data.successCount), sum(out.data.failureCount)], expected, id);
      assert.deepEqual(out.endpoints.map((entry) => entry.endpointId), [id === failing ? failing : ok]);
    }
    assertError(await stats(`${window}&endpointId=ep_nope`), 404, "not_found");
  });

  test("an app token reads its own application's statistics, and gets 403 for another's", async () => {
    const h = herald();
    const own = (await h.svix.authentication.appPortalAccess(appId, { readOnly: true })).token;
    const response = await stats(`${window}&period=OneDay`, own);
    assert.equal(response.status, 200);
    assert.equal(sum((response.body as StatsOut).data.successCount), 3);
    const foreign = (await h.svix.authentication.appPortalAccess(otherAppId, {})).token;
    assertError(await stats(window, foreign), 403, "forbidden");
    assertError(await stats(window, "wrong-token"), 401, "authentication_failed");
    assertError(await stats(window, undefined, "app_nope"), 404, "not_found");
  });

  test("bad parameters are 422 with a message saying what is wrong", async () => {
    assertValidation(await stats("?period=OneWeek"), ["querystring", "period"]);
    assertValidation(await stats("?startDate=yesterday"), ["querystring", "startDate"]);
    const now = Date.now();
    const reversed = assertValidation(
      await stats(`?startDate=${new Date(now).toISOString()}&endDate=${new Date(now - MINUTE).toISOString()}`),
      ["querystring", "endDate"],
    );
    assert.match(reversed.msg, /after startDate/);
    const tooLong = assertValidation(
      await stats(`?period=FiveMinutes&startDate=${new Date(now - 8 * 24 * 60 * MINUTE).toISOString()}&endDate=${new Date(now).toISOString()}`),
      ["querystring", "startDate"],
    );
    assert.match(tooLong.msg, /at most 2016 buckets/);
    assertValidation(await stats(`?period=OneDay&startDate=${new Date(now - 91 * 24 * 60 * MINUTE).toISOString()}`), ["querystring", "startDate"]);
    assertValidation(await stats("?event_types=invoice.paid"), ["querystring", "event_types"]);
  });

  test("is in the OpenAPI document as Svix's operation, with Herald's fields described", async () => {
    const h = herald();
    const document = (await (await fetch(`${h.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, { get?: { operationId: string; tags: string[]; responses: Record<string, { content: Record<string, { schema: { properties: Record<string, { description?: string }> } }> }> } }>;
    };
    const operation = document.paths["/api/v1/stats/app/{app_id}/attempt"]?.get;
    assert.ok(operation, "documented");
    assert.equal(operation.operationId, "v1.stats.app-attempts");
    assert.deepEqual(operation.tags, ["Statistics"]);
    const properties = operation.responses["200"]!.content["application/json"]!.schema.properties;
    assert.deepEqual(Object.keys(properties).sort(), ["data", "endDate", "endpoints", "latency", "period", "startDate"]);
    assert.match(properties.latency!.description ?? "", /Herald extension/);
    assert.match(properties.endpoints!.description ?? "", /Herald extension/);
  });
});
