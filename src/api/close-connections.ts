import type { FastifyInstance } from "fastify";

/**
 * Lets `close()` finish once the requests under way are answered, instead of when the clients
 * next hang up.
 *
 * Fastify closes the keep-alive connections that are idle when `close()` starts. A connection
 * whose request is still being handled then becomes idle after its response and, left alone,
 * stays open until the client closes it or `keepAliveTimeout` (72 s) passes. Meanwhile the
 * process cannot exit, and an orchestrator's stop timeout (30 s in Kubernetes) kills it with
 * deliveries in flight. So, once closing: every response says `Connection: close` (Node then
 * ends its socket after it), and every finished response reaps the connections left idle.
 */
export function closeConnectionsOnClose(app: FastifyInstance): void {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  // Callback hooks, not async ones: they run on every request and need no promise.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });
  app.addHook("onResponse", (_request, _reply, done) => {
    // On the next turn: the socket of the response just finished is counted idle only then.
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
}
