import type { Endpoint } from "../../api/types.ts";

/**
 * Renders a body template in the browser for the preview, as the server does (Liquid, `json` and
 * `tojson` filters, the same context roots). The server checks the template again when it is saved.
 */
export async function previewTemplate(template: string, endpoint: Endpoint, eventType: string, payload: unknown): Promise<string> {
  const { Liquid } = await import("liquidjs");
  const engine = new Liquid({ ownPropertyOnly: true, strictFilters: true, strictVariables: false, renderLimit: 250 });
  for (const tag of ["include", "render", "layout"]) delete engine.tags[tag];
  const toJson = (value: unknown, space: unknown = 0) => JSON.stringify(value, null, typeof space === "number" ? space : 0) ?? "null";
  engine.registerFilter("json", toJson);
  engine.registerFilter("tojson", toJson);
  const context = {
    message: { id: "msg_preview", eventId: null, eventType, timestamp: new Date().toISOString(), channels: [], metadata: {} },
    payload,
    eventType,
    eventTypeDescription: null,
    endpoint: { id: endpoint.id, uid: endpoint.uid, url: endpoint.url, metadata: endpoint.metadata },
    metadata: {},
    previous: null,
  };
  const rendered = (await engine.parseAndRender(template, context)).trim();
  return JSON.stringify(JSON.parse(rendered), null, 2);
}
