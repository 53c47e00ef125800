import { Type } from "@sinclair/typebox";

import { describeCertificate, parseMtlsIdentity } from "../../crypto/mtls-identity.ts";
import type { Endpoint } from "../../domain/types.ts";
import { endpointEventData } from "../../operational/operational-events.ts";
import type { Api, ApiContext } from "../context.ts";
import { FieldError, notFound } from "../errors.ts";
import { EndpointParams } from "../schemas/common.ts";
import { requireEndpoint } from "./endpoints.ts";

const tags = ["Endpoint"];

const CertificateOut = Type.Object({
  subject: Type.String(),
  issuer: Type.String(),
  validFrom: Type.String(),
  validTo: Type.String(),
  fingerprint256: Type.String(),
});

/**
 * Hosted Svix's endpoint mTLS: the client identity Herald presents when it connects to the
 * endpoint. The identity is sealed at rest like secrets and never returned; GET shows only the
 * certificate's public facts (a Herald addition to Svix's empty object).
 */
export async function endpointMtlsRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock, operationalEvents } = context;
  const config = { access: "app" as const };
  const path = "/api/v1/app/:app_id/endpoint/:endpoint_id/mtls";

  async function save(endpoint: Endpoint, mtlsIdentity: string | null, appId: string): Promise<void> {
    const updated = { ...endpoint, mtlsIdentity, version: endpoint.version + 1, updatedAt: clock.now() };
    await store.updateEndpoint(updated);
    const application = await store.getApplication(appId);
    if (application) await operationalEvents.emit("endpoint.updated", endpointEventData(application, updated));
  }

  app.get(
    path,
    { schema: { tags, operationId: "v1.endpoint.get-mtls", params: EndpointParams, response: { 200: Type.Object({ certificate: Type.Optional(CertificateOut) }) } }, config },
    async (request) => {
      const { endpoint } = await requireEndpoint(context, request, request.params);
      if (endpoint.mtlsIdentity === null) throw notFound("mTLS configuration");
      const identity = parseMtlsIdentity(endpoint.mtlsIdentity);
      return "error" in identity ? {} : { certificate: describeCertificate(identity) };
    },
  );

  app.put(
    path,
    {
      schema: {
        tags,
        operationId: "v1.endpoint.set-mtls-config",
        params: EndpointParams,
        body: Type.Object({ identity: Type.String({ minLength: 1, maxLength: 65_536 }) }),
      },
      config,
    },
    async (request, reply) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const identity = parseMtlsIdentity(request.body.identity);
      if ("error" in identity) throw new FieldError(["body", "identity"], identity.error);
      if (!endpoint.url.startsWith("https:")) throw new FieldError(["body", "identity"], "mTLS needs an https:// endpoint URL");
      await save(endpoint, `${identity.key}\n\n${identity.cert}`, application.id);
      return reply.code(204).send();
    },
  );

  app.delete(
    path,
    { schema: { tags, operationId: "v1.endpoint.delete-mtls-config", params: EndpointParams }, config },
    async (request, reply) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      if (endpoint.mtlsIdentity !== null) await save(endpoint, null, application.id);
      return reply.code(204).send();
    },
  );
}
