import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import { openWithKey, sealWithKey } from "../crypto/secret-box.ts";
import type { Api, ApiContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * `idempotency-key` on POST, as Svix: the first 2xx response for a key (scoped to the caller's
 * token and the URL) is kept 12 hours and replayed verbatim; a concurrent duplicate waits for the
 * first to finish. The state lives in the store, so it holds across API processes.
 *
 * Responses hold tokens (app-portal-access) and secrets, so they are stored sealed under a key
 * made from the main secret and the request's own token and idempotency key: the table alone, or
 * with the main secret but without the caller's token, reads nothing.
 */
const RESPONSE_TTL_MS = 12 * 60 * 60 * 1000;
const LOCK_MS = 5_000;
const POLL_MS = 200;

declare module "fastify" {
  interface FastifyRequest {
    /** The stored key of this request's idempotency-key, and the key its response is sealed with. */
    idempotency?: { key: string; sealingKey: Buffer };
  }
}

export function registerIdempotency(app: Api, context: ApiContext): void {
  app.addHook("preHandler", async (request, reply) => {
    const header = request.headers["idempotency-key"];
    if (request.method !== "POST" || typeof header !== "string" || header === "") return;
    const scope = `${request.headers.authorization ?? ""}\n${header}\n${request.url}`;
    const key = createHash("sha256").update(scope).digest("base64url");
    const sealingKey = createHash("sha256").update(`herald-idempotency:${context.mainSecret}\n${scope}`).digest();
    // Waiting is measured on the wall clock: an injected test clock may stand still.
    const deadline = Date.now() + LOCK_MS;
    for (;;) {
      const state = await context.store.beginIdempotent(key, context.clock.now(), LOCK_MS);
      if (state.state === "started") {
        request.idempotency = { key, sealingKey };
        return;
      }
      if (state.state === "done") {
        // Responses stored before they were sealed are JSON, which never starts like a sealed text.
        const stored = state.response.body;
        const body = stored.startsWith("{") || stored.startsWith("[") || stored === "" ? stored : openWithKey(sealingKey, stored);
        return reply.code(state.response.statusCode).header("content-type", "application/json; charset=utf-8").send(body);
      }
      if (Date.now() >= deadline) {
        throw new HttpError("conflict", "A request with this idempotency-key is still in progress");
      }
      await sleep(POLL_MS);
    }
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const idempotency = request.idempotency;
    if (!idempotency) return payload;
    request.idempotency = undefined;
    if (reply.statusCode >= 200 && reply.statusCode < 300) {
      const body = typeof payload === "string" ? payload : payload === null || payload === undefined ? "" : String(payload);
      const sealed = sealWithKey(idempotency.sealingKey, body);
      await context.store.finishIdempotent(idempotency.key, { statusCode: reply.statusCode, body: sealed }, context.clock.now() + RESPONSE_TTL_MS);
    } else {
      await context.store.abandonIdempotent(idempotency.key);
    }
    return payload;
  });
}
