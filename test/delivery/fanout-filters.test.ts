import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { api, startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { bodies } from "./support.ts";

interface EndpointSpec {
  filterTypes?: string[];
  eventTypes?: string[];
  channels?: string[];
  disabled?: boolean;
}

/**
 * Fan-out sends each message to exactly the endpoints whose filters match it. Each endpoint has its
 * own receiver; after posting, the worker is drained so absences are real, not just "not yet".
 */
describe("delivery: fan-out filters", () => {
  let h: TestHerald;
  const receivers: Receiver[] = [];

  before(async () => {
    h = await startTestHerald();
    for (const name of ["invoice.paid", "invoice.created", "user.created", "user.deleted"]) {
      await h.svix.eventType.create({ name, description: name });
    }
  });
  after(async () => {
    await h.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });
  beforeEach(() => {
    for (const receiver of receivers) receiver.requests.length = 0;
  });

  /**
   * A fresh application with one receiver per endpoint spec; returns the event types each got, by
   * spec key, in posting order. Endpoints are created over raw HTTP: the SDK's EndpointIn has no
   * `eventTypes` field (only the legacy `filterTypes`), and both must work.
   */
  async function fanOut(specs: Record<string, EndpointSpec>, messages: { eventType: string; channels?: string[] }[]) {
    const app = await h.svix.application.create({ name: "Filters" });
    const byName: Record<string, Receiver> = {};
    for (const [name, spec] of Object.entries(specs)) {
      const receiver = await startReceiver();
      receivers.push(receiver);
      byName[name] = receiver;
      const created = await api(h.url, h.adminToken, "POST", `/api/v1/app/${app.id}/endpoint`, { ...spec, url: `${receiver.url}/${name}` });
      assert.equal(created.status, 201, created.text);
    }
    for (const [index, message] of messages.entries()) {
      await h.svix.message.create(app.id, { ...message, payload: { n: index, eventType: message.eventType } });
    }
    await h.herald.worker!.drain();
    const got: Record<string, string[]> = {};
    for (const [name, receiver] of Object.entries(byName)) {
      got[name] = bodies<{ n: number; eventType: string }>(receiver)
        .sort((a, b) => a.n - b.n)
        .map((body) => body.eventType);
    }
    return got;
  }

  test("event types: exact names, '*', 'group.*' and no filter", async () => {
    const got = await fanOut(
      {
        exact: { filterTypes: ["invoice.paid"] },
        twoExact: { filterTypes: ["invoice.paid", "user.deleted"] },
        star: { filterTypes: ["*"] },
        invoices: { filterTypes: ["invoice.*"] },
        legacyField: { filterTypes: ["user.created"] },
        newField: { eventTypes: ["user.created"] },
        none: {},
      },
      [{ eventType: "invoice.paid" }, { eventType: "invoice.created" }, { eventType: "user.created" }, { eventType: "user.deleted" }],
    );
    assert.deepEqual(got, {
      exact: ["invoice.paid"],
      twoExact: ["invoice.paid", "user.deleted"],
      star: ["invoice.paid", "invoice.created", "user.created", "user.deleted"],
      invoices: ["invoice.paid", "invoice.created"],
      legacyField: ["user.created"],
      newField: ["user.created"],
      none: ["invoice.paid", "invoice.created", "user.created", "user.deleted"],
    });
  });

  test("'invoice.*' does not match a type that merely starts with 'invoice'", async () => {
    const got = await fanOut({ invoices: { filterTypes: ["invoice.*"] } }, [{ eventType: "invoices.paid" }, { eventType: "invoice.paid" }]);
    assert.deepEqual(got, { invoices: ["invoice.paid"] });
  });

  test("channels: any shared channel; a message without channels skips endpoints that have channels", async () => {
    const got = await fanOut(
      {
        companyA: { channels: ["company:a"] },
        companyAorB: { channels: ["company:a", "company:b"] },
        anyChannel: {},
      },
      [
        { eventType: "invoice.paid", channels: ["company:a"] },
        { eventType: "invoice.created", channels: ["company:b", "other"] },
        { eventType: "user.created" },
        { eventType: "user.deleted", channels: ["company:c"] },
      ],
    );
    assert.deepEqual(got, {
      companyA: ["invoice.paid"],
      companyAorB: ["invoice.paid", "invoice.created"],
      anyChannel: ["invoice.paid", "invoice.created", "user.created", "user.deleted"],
    });
  });

  test("event type and channel filters combine", async () => {
    const got = await fanOut({ both: { filterTypes: ["invoice.*"], channels: ["company:a"] } }, [
      { eventType: "invoice.paid", channels: ["company:a"] },
      { eventType: "user.created", channels: ["company:a"] },
      { eventType: "invoice.created", channels: ["company:b"] },
    ]);
    assert.deepEqual(got, { both: ["invoice.paid"] });
  });

  test("a disabled endpoint gets nothing, whatever its filters", async () => {
    const got = await fanOut({ disabled: { disabled: true }, enabled: {} }, [{ eventType: "invoice.paid" }, { eventType: "user.created", channels: ["x"] }]);
    assert.deepEqual(got, { disabled: [], enabled: ["invoice.paid", "user.created"] });
  });

  test("a message matching no endpoint is still accepted and goes nowhere", async () => {
    const got = await fanOut({ users: { filterTypes: ["user.*"] } }, [{ eventType: "invoice.paid" }]);
    assert.deepEqual(got, { users: [] });
  });
});
