import pg from "pg";

import { ADMIN_TOKEN } from "../../test/process/process-helpers.ts";

/** Helpers shared by the benchmarks: Herald's API over fetch, payloads, an admin PostgreSQL connection. */

export const PAYLOAD_BYTES = 1024;

export async function api(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url + pathname, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A JSON payload of exactly PAYLOAD_BYTES bytes once serialized; `sentAt` (epoch ms) when given. */
export function payload(n: number, sentAt?: number): { n: number; sentAt?: number; data: string } {
  const head = sentAt === undefined ? { n } : { sentAt, n };
  const empty = JSON.stringify({ ...head, data: "" }).length;
  return { ...head, data: "x".repeat(Math.max(0, PAYLOAD_BYTES - empty)) };
}

/** Creates an application; returns its id. */
export async function createApp(url: string, name: string): Promise<string> {
  const app = await api(url, "POST", "/api/v1/app", { name });
  if (app.status !== 201) throw new Error(`creating an app answered ${app.status}: ${JSON.stringify(app.body)}`);
  return (app.body as { id: string }).id;
}

/** Adds an endpoint to an application; returns its id. */
export async function createEndpoint(url: string, appId: string, endpointUrl: string): Promise<string> {
  const endpoint = await api(url, "POST", `/api/v1/app/${appId}/endpoint`, { url: endpointUrl });
  if (endpoint.status !== 201) throw new Error(`creating an endpoint answered ${endpoint.status}: ${JSON.stringify(endpoint.body)}`);
  return (endpoint.body as { id: string }).id;
}

/** An application with one endpoint; returns the application id. */
export async function createAppWithEndpoint(url: string, name: string, endpointUrl: string): Promise<string> {
  const appId = await createApp(url, name);
  await createEndpoint(url, appId, endpointUrl);
  return appId;
}

export async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
