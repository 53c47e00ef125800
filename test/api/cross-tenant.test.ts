import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { api, type TestHerald } from "../helpers/herald.ts";
import { raw, useHerald, useReceiver } from "./api-helpers.ts";

/**
 * The bug Convoy fixed three times (frain-dev/convoy#2116, #2681, #2760): a token for one
 * application reaching another application's resources through a route that looked the resource
 * up by its own id without checking whose it was. The routes are not listed here by hand: every
 * operation of the running Herald's /api/v1/openapi.json whose path names an application, and every
 * application-less one that takes an id, is called with application A's token on every mix of A's
 * and B's real ids (B's application with A's endpoint, A's application with B's message, …), and
 * must answer 403 or 404. A route added later is covered without touching this file; one whose path
 * parameter or request body the test cannot fill fails it, saying so.
 *
 * Beside it, every GET route answers 200 with A's own ids (so a 404 above is not a path the test
 * got wrong), and nothing of B's (ids, URL, payload, secret) appears in any answer A's token gets.
 */

interface Operation {
  method: string;
  path: string;
  operationId: string;
  query: { name: string; required: boolean; schema: JsonSchema }[];
  body: JsonSchema | null;
}

interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  minItems?: number;
  minLength?: number;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, {
    operationId?: string;
    parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
    requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** What one application owns, by the names the API's path parameters use. */
interface Tenant {
  appId: string;
  uid: string;
  ids: Record<string, string>;
  /** What only this tenant has besides its ids (name, URL, payload, signing secret): never shown to the other. */
  data: string[];
}

const METHODS = ["get", "post", "put", "patch", "delete"];
/** Path parameters that name something every application shares (the event catalogue, profiles). */
const SHARED_PARAMETERS = new Set(["event_type_name", "name"]);
/** Operations that act on the calling token itself; logout would end A's token mid-test. */
const SELF_OPERATIONS = new Set(["v1.authentication.logout"]);
/** GET routes that answer 404 when there is nothing to show: no mTLS identity is set, no profile is named "default". */
const EMPTY_IS_404 = new Set(["v1.endpoint.get-mtls", "v1.profile.get"]);
/**
 * PUT routes that create the resource when the application has none by that id or uid (Svix's
 * upsert): A's application with B's endpoint id makes an endpoint of A's whose uid is that string.
 * Not a leak when the new endpoint is A's own, with an id of its own; it is deleted at once so the
 * next calls do not find it.
 */
const UPSERTS = new Set(["v1.endpoint.update"]);
/** Query parameters that name an application's resource, by the path-parameter name of its id. */
const ID_QUERY_PARAMETERS: Record<string, string> = { endpoint_id: "endpoint_id", endpointId: "endpoint_id" };

/**
 * Request bodies the schema alone cannot produce (a body that fails validation is answered 422
 * before the route looks at the application, and would hide a leak). The rest come from
 * `exampleOf(schema)`.
 */
const BODIES: Record<string, unknown> = {
  "v1.endpoint.create": { url: "http://127.0.0.1:9/cross-tenant" },
  "v1.endpoint.update": { url: "http://127.0.0.1:9/cross-tenant" },
  "v1.endpoint.patch": { description: "changed by another tenant" },
  "v1.endpoint.update-headers": { headers: { "x-cross-tenant": "1" } },
  "v1.endpoint.patch-headers": { headers: { "x-cross-tenant": "1" } },
  "v1.endpoint.send-example": { eventType: "tenant.updated" },
  "v1.endpoint.transformation.simulate": {
    code: "function handler(webhook) { return webhook; }",
    eventType: "tenant.updated",
    payload: { simulated: true },
  },
  "v1.endpoint.transformation.patch": { enabled: false },
  "v1.message.create": { eventType: "tenant.updated", payload: { from: "cross-tenant" } },
  "v1.application.update": { name: "Renamed by another tenant" },
  "v1.application.patch": { name: "Renamed by another tenant" },
};

function resolve(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  const target = document.components?.schemas?.[name];
  assert.ok(target, `unresolvable $ref ${schema.$ref}`);
  return resolve(document, target);
}

/** A value the schema accepts: required properties only, ISO dates an hour ago. */
function exampleOf(document: OpenApiDocument, input: JsonSchema, name = ""): unknown {
  const schema = resolve(document, input);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return exampleOf(document, variants.find((variant) => resolve(document, variant).type !== "null") ?? variants[0], name);
  const type = Array.isArray(schema.type) ? schema.type.find((item) => item !== "null") : schema.type;
  switch (type) {
    case "object":
      return Object.fromEntries((schema.required ?? []).map((key) => [key, exampleOf(document, schema.properties?.[key] ?? {}, key)]));
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => exampleOf(document, schema.items ?? {}, name));
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return false;
    case "string":
      if (schema.format === "date-time") {
        return new Date(Date.now() + (/until|before|end/i.test(name) ? 3_600_000 : -3_600_000)).toISOString();
      }
      if (schema.format === "uri") return "http://127.0.0.1:9/cross-tenant";
      return "x".repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return {};
  }
}

function operationsOf(document: OpenApiDocument): Operation[] {
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const jsonBody = operation.requestBody?.content?.["application/json"]?.schema ?? null;
      found.push({
        method: method.toUpperCase(),
        path,
        operationId: operation.operationId ?? `${method} ${path}`,
        query: (operation.parameters ?? [])
          .filter((parameter) => parameter.in === "query")
          .map((parameter) => ({ name: parameter.name, required: parameter.required ?? false, schema: parameter.schema ?? {} })),
        body: jsonBody,
      });
    }
  }
  return found;
}

function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
}

/** The id-bearing path parameters of a route an app token may be pointed at another tenant through. */
function tenantParameters(operation: Operation): string[] {
  return pathParameters(operation.path).filter((name) => !SHARED_PARAMETERS.has(name));
}

/** Every assignment of A or B to the parameters except all-A; routes without an application get B's ids only. */
function mixes(parameters: string[]): Record<string, "A" | "B">[] {
  if (!parameters.includes("app_id")) return [Object.fromEntries(parameters.map((name) => [name, "B" as const]))];
  const all: Record<string, "A" | "B">[] = [];
  for (let bits = 1; bits < 2 ** parameters.length; bits++) {
    all.push(Object.fromEntries(parameters.map((name, index) => [name, (bits >> index) & 1 ? ("B" as const) : ("A" as const)])));
  }
  return all;
}

describe("one application's token never reaches another's resources", () => {
  // Every route in a burst, with one token: the per-application rate limit would answer some 429.
  const herald = useHerald({ env: { HERALD_API_RATE_LIMIT: "0" } });
  const receiver = useReceiver();
  let document: OpenApiDocument;
  let tokenA: string;
  const tenants: Record<"A" | "B", Tenant> = {} as Record<"A" | "B", Tenant>;

  async function seed(h: TestHerald, label: "A" | "B"): Promise<Tenant> {
    const marker = `only-${label}-${Math.random().toString(36).slice(2, 10)}`;
    const app = await h.svix.application.create({ name: `Tenant ${marker}`, uid: `uid-${marker}` });
    const endpoint = await h.svix.endpoint.create(app.id, {
      url: `${receiver().url}/${marker}`,
      description: `endpoint of ${marker}`,
      channels: [`channel-${marker}`],
    });
    const message = await h.svix.message.create(app.id, {
      eventType: "tenant.updated",
      eventId: `event-${marker}`,
      channels: [`channel-${marker}`],
      payload: { owner: marker },
    });
    const attempts = await waitForAttempt(h, app.id, message.id);
    const task = await raw(h)("POST", `/api/v1/app/${app.id}/endpoint/${endpoint.id}/recover`, {
      since: new Date(Date.now() - 3_600_000).toISOString(),
    });
    assert.equal(task.status, 202, task.text);
    const secret = await h.svix.endpoint.getSecret(app.id, endpoint.id);
    return {
      appId: app.id,
      uid: app.uid ?? "",
      ids: {
        app_id: app.id,
        endpoint_id: endpoint.id,
        msg_id: message.id,
        attempt_id: attempts,
        task_id: (task.body as { id: string }).id,
      },
      data: [marker, secret.key],
    };
  }

  async function waitForAttempt(h: TestHerald, appId: string, msgId: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const attempts = await h.svix.messageAttempt.listByMsg(appId, msgId);
      if (attempts.data.length > 0) return attempts.data[0].id;
      assert.ok(Date.now() < deadline, `no attempt for ${msgId}`);
      await new Promise((wait) => setTimeout(wait, 20));
    }
  }

  before(async () => {
    const h = herald();
    await h.svix.eventType.create({
      name: "tenant.updated",
      description: "a tenant changed",
      schemas: { "1": { type: "object", examples: [{ owner: "example" }] } },
    });
    tenants.A = await seed(h, "A");
    tenants.B = await seed(h, "B");
    tokenA = (await h.svix.authentication.appPortalAccess(tenants.A.appId, {})).token;
    const response = await fetch(`${h.url}/api/v1/openapi.json`);
    assert.equal(response.status, 200);
    document = (await response.json()) as OpenApiDocument;
  });

  /** The URL of an operation with each tenant parameter filled from the tenant `mix` names. */
  function urlOf(operation: Operation, mix: Record<string, "A" | "B">, queryTenant: "A" | "B"): string {
    let url = operation.path;
    for (const name of pathParameters(operation.path)) {
      let value: string;
      if (name === "event_type_name") value = "tenant.updated";
      else if (SHARED_PARAMETERS.has(name)) value = "default";
      else {
        value = tenants[mix[name] ?? "A"].ids[name];
        assert.ok(value, `${operation.operationId}: the test has no id for the path parameter {${name}}; add one to seed()`);
      }
      url = url.replace(`{${name}}`, encodeURIComponent(value));
    }
    const query = new URLSearchParams();
    for (const parameter of operation.query) {
      const idName = ID_QUERY_PARAMETERS[parameter.name];
      if (idName) query.set(parameter.name, tenants[queryTenant].ids[idName]);
      else if (parameter.required) query.set(parameter.name, String(exampleOf(document, parameter.schema, parameter.name)));
    }
    const search = query.toString();
    return search ? `${url}?${search}` : url;
  }

  function bodyOf(operation: Operation): unknown {
    if (operation.operationId in BODIES) return BODIES[operation.operationId];
    return operation.body ? exampleOf(document, operation.body) : undefined;
  }

  /** B's strings in an answer to A's token. Ids echoed in a 403/404's detail are not a leak; the rest is. */
  function leaksIn(text: string, status: number): string[] {
    const ids = status === 403 || status === 404 ? [] : Object.values(tenants.B.ids);
    return [...tenants.B.data, ...ids].filter((marker) => text.includes(marker));
  }

  /** Calls made in an order that keeps every resource alive for the next: reads, then writes, deletes last. */
  function ordered(operations: Operation[]): Operation[] {
    const rank = (operation: Operation) => (operation.method === "GET" ? 0 : operation.method === "DELETE" ? 2 : 1);
    return [...operations].sort((left, right) => rank(left) - rank(right));
  }

  test("the document lists the routes an app token calls", () => {
    const operations = operationsOf(document);
    const withApp = operations.filter((operation) => operation.path.includes("{app_id}"));
    assert.ok(withApp.length >= 40, `only ${withApp.length} operations with {app_id}`);
    for (const operationId of ["v1.endpoint.get-secret", "v1.message-attempt.resend", "v1.endpoint.recover", "v1.message.list"]) {
      assert.ok(operations.some((operation) => operation.operationId === operationId), `${operationId} is in the document`);
    }
  });

  test("every route with another tenant's ids answers 403 or 404, and shows none of its data", async () => {
    const h = herald();
    const targets = ordered(
      operationsOf(document).filter(
        (operation) => !SELF_OPERATIONS.has(operation.operationId) && tenantParameters(operation).length > 0,
      ),
    );
    const failures: string[] = [];
    let calls = 0;
    for (const operation of targets) {
      for (const mix of mixes(tenantParameters(operation))) {
        const url = urlOf(operation, mix, "B");
        const response = await api(h.url, tokenA, operation.method, url, bodyOf(operation));
        calls++;
        const call = `${operation.operationId}: ${operation.method} ${url} (${JSON.stringify(mix)})`;
        if (UPSERTS.has(operation.operationId) && response.status === 201 && mix.app_id === "A") {
          const created = response.body as { id?: string };
          if (!created.id || Object.values(tenants.B.ids).includes(created.id)) failures.push(`${call} answered 201 with B's resource: ${response.text}`);
          else await api(h.url, h.adminToken, "DELETE", `/api/v1/app/${tenants.A.appId}/endpoint/${created.id}`);
          const leaks = leaksIn(response.text, 404);
          if (leaks.length > 0) failures.push(`${call} showed B's ${leaks.join(", ")}`);
          continue;
        }
        if (response.status === 422) {
          failures.push(`${call} answered 422, so the route was never reached: give it a valid body in BODIES (${response.text})`);
        } else if (response.status !== 403 && response.status !== 404) {
          failures.push(`${call} answered ${response.status}: ${response.text.slice(0, 300)}`);
        }
        const leaks = leaksIn(response.text, response.status);
        if (leaks.length > 0) failures.push(`${call} showed B's ${leaks.join(", ")}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${calls} cross-tenant calls failed:\n${failures.join("\n")}`);
    assert.ok(calls > 100, `only ${calls} calls made`);

    // B's resources are all still there, untouched.
    const b = tenants.B.ids;
    assert.equal((await h.svix.application.get(b.app_id)).name.startsWith("Tenant only-B-"), true);
    const endpoint = await h.svix.endpoint.get(b.app_id, b.endpoint_id);
    assert.equal(endpoint.description, `endpoint of ${tenants.B.data[0]}`);
    assert.deepEqual((await h.svix.message.list(b.app_id)).data.map((message) => message.id), [b.msg_id]);
  });

  test("every GET answers A's own ids, and no list of A's shows anything of B's, even when a filter names B's endpoint", async () => {
    const h = herald();
    const failures: string[] = [];
    for (const operation of operationsOf(document).filter((candidate) => candidate.method === "GET")) {
      const parameters = tenantParameters(operation);
      if (!operation.path.includes("{app_id}") && parameters.length > 0) continue; // A's background task, covered above for B
      const own = Object.fromEntries(parameters.map((name) => [name, "A" as const]));
      const filtersById = operation.query.some((parameter) => ID_QUERY_PARAMETERS[parameter.name]);
      for (const queryTenant of filtersById ? (["A", "B"] as const) : (["A"] as const)) {
        const url = urlOf(operation, own, queryTenant);
        const response = await api(h.url, tokenA, "GET", url);
        const call = `${operation.operationId}: GET ${url}`;
        const adminOnly = response.status === 403 && !operation.path.includes("{app_id}");
        const expected = (response.status >= 200 && response.status < 300) || adminOnly || (response.status === 404 && EMPTY_IS_404.has(operation.operationId));
        const refusedFilter = queryTenant === "B" && (response.status === 404 || response.status === 403);
        if (!expected && !refusedFilter) {
          failures.push(`${call} answered ${response.status} to A's own token: ${response.text.slice(0, 300)}`);
        }
        const leaks = leaksIn(response.text, response.status);
        if (leaks.length > 0) failures.push(`${call} showed B's ${leaks.join(", ")}`);
      }
    }
    assert.deepEqual(failures, [], failures.join("\n"));
  });
});
