import type { Api, ApiContext } from "../context.ts";

const tags = ["Health"];

export async function healthRoutes(app: Api, context: ApiContext): Promise<void> {
  const config = { access: "public" as const };

  app.route({
    method: ["GET", "HEAD"],
    url: "/api/v1/health",
    schema: { tags, operationId: "v1.health.get" },
    config,
    handler: async (request, reply) => {
      try {
        await context.store.ping();
        return reply.code(204).send();
      } catch (error) {
        request.log.warn({ err: error }, "health check failed");
        return reply.code(503).send({ database: { status: "error" }, queue: { status: "error" }, cache: { status: "ok" } });
      }
    },
  });

  app.route({
    method: ["GET", "HEAD"],
    url: "/api/v1/health/ping",
    schema: { tags, operationId: "v1.health.ping" },
    config,
    handler: async (_request, reply) => reply.code(204).send(),
  });
}
