import type { Endpoint, Message } from "../../src/domain/types.ts";

/** 2023-04-12T09:30:00.000Z */
export const CREATED_AT = Date.UTC(2023, 3, 12, 9, 30, 0);

export function makeMessage(overrides: Partial<Message> = {}): Message {
  return {
    id: "msg_2NnSbD4QZ8lK0",
    appId: "app_1",
    eventId: "evt_42",
    eventType: "bsd.created",
    payload: '{"id":"BSD-20230412-JYE9095HY"}',
    channels: ["org-1"],
    metadata: {},
    previous: null,
    createdAt: CREATED_AT,
    expiresAt: CREATED_AT + 86_400_000,
    ...overrides,
  };
}

export function makeEndpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    id: "ep_2NnSbJ0x",
    appId: "app_1",
    uid: "crm",
    url: "https://receiver.example/hooks",
    description: "",
    eventTypes: null,
    channels: null,
    keys: [{ key: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", expiresAt: null }],
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
    metadata: { team: "ops" },
    version: 1,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}
