import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import type { Api, ApiContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * `idempotency-key` on POST, as Svix: the first 2xx response for a key (scoped to the caller's
 * token and the URL) is kept 12 hours and replayed verbatim; a concurrent duplicate waits for the
 * first to finish. The state lives in the store, so it holds across API processes.
 */
const RESPONSE_TTL_MS = 12 * 60 * 60 * 1000;
const LOCK_MS = 5_000;
const POLL_MS = 200;

declare module "fastify" {
  interface FastifyRequest {
    idempotencyKey?: string;
  }
}

export function registerIdempotency(app: Api, context: ApiContext): void {
  app.addHook("preHandler", async (request, reply) => {
    const header = request.headers["idempotency-key"];
    if (request.method !== "POST" || typeof header !== "string" || header === "") return;
    const key = createHash("sha256")
      .update(`${request.headers.authorization ?? ""}\n${header}\n${request.url}`)
      .digest("base64url");
    // Waiting is measured on the wall clock: an injected test clock may stand still.
    const deadline = Date.now() + LOCK_MS;
    for (;;) {
      const state = await context.store.beginIdempotent(key, context.clock.now(), LOCK_MS);
      if (state.state === "started") {
        request.idempotencyKey = key;
        return;
      }
      if (state.state === "done") {
        return reply.code(state.response.statusCode).header("content-type", "application/json; charset=utf-8").send(state.response.body);
      }
      if (Date.now() >= deadline) {
        throw new HttpError("conflict", "A request with this idempotency-key is still in progress");
      }
      await sleep(POLL_MS);
    }
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (!key) return payload;
    request.idempotencyKey = undefined;
    if (reply.statusCode >= 200 && reply.statusCode < 300) {
      const body = typeof payload === "string" ? payload : payload === null || payload === undefined ? "" : String(payload);
      await context.store.finishIdempotent(key, { statusCode: reply.statusCode, body }, context.clock.now() + RESPONSE_TTL_MS);
    } else {
      await context.store.abandonIdempotent(key);
    }
    return payload;
  });
}
