import { Svix } from "svix";

import { portalFetch } from "./http.ts";

// The SDK's user-agent code tests the bare Node global `process`, which throws in a browser unless
// the name exists; an undefined `process` sends it down its browser branch.
if (!("process" in globalThis)) {
  Object.defineProperty(globalThis, "process", { value: undefined, writable: true, configurable: true });
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
