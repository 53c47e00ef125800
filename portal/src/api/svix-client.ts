import { Svix } from "svix";

import { portalFetch } from "./http.ts";

// The SDK's user-agent code tests the bare Node global `process`, which throws in a browser unless
// the name exists; an undefined `process` sends it down its browser branch.
if (!("process" in globalThis)) {
  Object.defineProperty(globalThis, "process", { value: undefined, writable: true, configurable: true });
}

// The SDK keys each POST with crypto.randomUUID(), which browsers offer only in secure contexts;
// a Herald reached over plain http on a LAN name is not one. getRandomValues works everywhere.
if (typeof crypto.randomUUID !== "function") {
  Object.defineProperty(crypto, "randomUUID", {
    configurable: true,
    value: () => {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  });
}

let client: Svix | null = null;

/** The official SDK with the session's token, against this origin (the portal is served by Herald). */
export function svix(): Svix {
  if (!client) throw new Error("No portal session");
  return client;
}

export function connectSvix(token: string): void {
  client = new Svix(token, { serverUrl: location.origin, fetch: portalFetch });
}
