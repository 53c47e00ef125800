import type { Server } from "node:http";

/**
 * How the benchmark's own server processes (receiver-main.ts, relay-main.ts) run: on 127.0.0.1 at
 * a free port, announced as {"port": N} on the first line of stdout (announcedPort in
 * test/process/process-helpers.ts reads it), with keep-alive connections held between bursts, and
 * stopped by SIGTERM or SIGINT after `beforeExit` (if any) has finished.
 */
export function serveOnLoopback(server: Server, beforeExit: () => Promise<void> = async () => undefined): void {
  // Keep senders' connections open between bursts rather than have them reconnect.
  server.keepAliveTimeout = 60_000;
  server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
    const address = server.address();
    process.stdout.write(JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 }) + "\n");
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      server.closeAllConnections();
      server.close(() => void beforeExit().finally(() => process.exit(0)));
    });
  }
}
