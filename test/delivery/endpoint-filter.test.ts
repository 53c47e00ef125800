import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { channelsMatch, endpointWantsMessage, eventTypeMatches } from "../../src/domain/endpoint-filter.ts";
import type { Endpoint, Message } from "../../src/domain/types.ts";

/** Unit tests of the fan-out filter: event types (exact, `*`, `group.*`), channels, disabled. */
describe("endpoint filter: event types", () => {
  test("no filter matches everything", () => {
    assert.equal(eventTypeMatches(null, "invoice.paid"), true);
    assert.equal(eventTypeMatches(null, "anything"), true);
  });

  test("exact names", () => {
    assert.equal(eventTypeMatches(["invoice.paid"], "invoice.paid"), true);
    assert.equal(eventTypeMatches(["invoice.paid"], "invoice.paid.late"), false);
    assert.equal(eventTypeMatches(["invoice.paid"], "invoice.created"), false);
    assert.equal(eventTypeMatches(["invoice.paid"], "Invoice.paid"), false);
    assert.equal(eventTypeMatches(["user.created", "invoice.paid"], "invoice.paid"), true);
  });

  test("an empty list matches nothing", () => {
    assert.equal(eventTypeMatches([], "invoice.paid"), false);
  });

  test("'*' matches every type", () => {
    assert.equal(eventTypeMatches(["*"], "invoice.paid"), true);
    assert.equal(eventTypeMatches(["*"], "user"), true);
  });

  test("'group.*' matches the group's types only", () => {
    assert.equal(eventTypeMatches(["invoice.*"], "invoice.paid"), true);
    assert.equal(eventTypeMatches(["invoice.*"], "invoice.paid.late"), true);
    assert.equal(eventTypeMatches(["invoice.*"], "user.created"), false);
    assert.equal(eventTypeMatches(["invoice.*"], "invoices.paid"), false);
    assert.equal(eventTypeMatches(["invoice.*"], "invoice"), false);
    assert.equal(eventTypeMatches(["a.b.*"], "a.b.c"), true);
    assert.equal(eventTypeMatches(["a.b.*"], "a.c"), false);
  });

  test("a '*' that is not a whole trailing segment is a literal name", () => {
    assert.equal(eventTypeMatches(["invoice*"], "invoice.paid"), false);
    assert.equal(eventTypeMatches(["*.paid"], "invoice.paid"), false);
  });
});

describe("endpoint filter: channels", () => {
  test("an endpoint without channels gets every message", () => {
    assert.equal(channelsMatch(null, null), true);
    assert.equal(channelsMatch(null, ["company:a"]), true);
  });

  test("an endpoint with channels gets messages sharing at least one", () => {
    assert.equal(channelsMatch(["company:a"], ["company:a"]), true);
    assert.equal(channelsMatch(["company:a", "company:b"], ["x", "company:b"]), true);
    assert.equal(channelsMatch(["company:a"], ["company:b"]), false);
    assert.equal(channelsMatch(["company:a"], ["Company:A"]), false);
  });

  test("a message without channels does not reach an endpoint that has channels", () => {
    assert.equal(channelsMatch(["company:a"], null), false);
    assert.equal(channelsMatch(["company:a"], []), false);
  });
});

describe("endpoint filter: endpointWantsMessage", () => {
  const endpoint = (overrides: Partial<Endpoint>): Endpoint => ({
    id: "ep_1",
    appId: "app_1",
    uid: null,
    url: "https://example.com/hook",
    description: "",
    eventTypes: null,
    channels: null,
    keys: [],
    headers: {},
    throttleRate: null,
    disabled: false,
    firstFailureAt: null,
    consecutiveFailures: 0,
    windowFailures: 0,
    lastFailureAt: null,
    profile: "standard",
    transformation: { code: null, enabled: false, variables: null, updatedAt: null },
    mtlsIdentity: null,
    throttledSince: null,
    options: {},
    metadata: {},
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  });
  const message = (overrides: Partial<Message>): Message => ({
    id: "msg_1",
    appId: "app_1",
    eventId: null,
    eventType: "invoice.paid",
    payload: "{}",
    channels: null,
    metadata: {},
    previous: null,
    createdAt: 0,
    expiresAt: 0,
    ...overrides,
  });

  test("both filters must match", () => {
    const ep = endpoint({ eventTypes: ["invoice.*"], channels: ["a"] });
    assert.equal(endpointWantsMessage(ep, message({ channels: ["a"] })), true);
    assert.equal(endpointWantsMessage(ep, message({ channels: ["b"] })), false);
    assert.equal(endpointWantsMessage(ep, message({ eventType: "user.created", channels: ["a"] })), false);
  });

  test("a disabled endpoint wants nothing", () => {
    assert.equal(endpointWantsMessage(endpoint({ disabled: true }), message({})), false);
    assert.equal(endpointWantsMessage(endpoint({}), message({})), true);
  });
});
