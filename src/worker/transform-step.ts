import type { ResolvedDeliveryOptions } from "../domain/delivery-options.ts";
import type { Endpoint, Message } from "../domain/types.ts";
import { checkEndpointUrl } from "../net/address-policy.ts";
import { runTransformationAsync, TransformationError } from "../transform/sandbox.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** What an endpoint's transformation made of the messages of one request. */
export type Transformed =
  | { ok: true; method: string; url: string; messages: (Message | null)[] }
  | { ok: false; error: string };

/**
 * Runs the endpoint's transformation (hosted Svix / Codat: `handler(webhook)` may change method,
 * URL and payload, or cancel) on each message, in the QuickJS sandbox. A cancelled message comes
 * back as null. The request's method and URL are the first message's; a URL the transformation
 * sets is checked against the address policy like a saved one. Any failure (a throw, a timeout,
 * a refused URL) fails the whole request with a readable message; the worker carries on.
 */
export async function transformMessages(deps: WorkerDeps, endpoint: Endpoint, options: ResolvedDeliveryOptions, messages: Message[]): Promise<Transformed> {
  const { code, enabled } = endpoint.transformation;
  if (!enabled || code === null) return { ok: true, method: options.method, url: endpoint.url, messages };
  let target: { method: string; url: string } | null = null;
  const transformed: (Message | null)[] = [];
  for (const message of messages) {
    if (message.payload === null) return { ok: false, error: "The message's content has expired or was expunged" };
    try {
      const result = await runTransformationAsync(code, {
        method: options.method === "PUT" ? "PUT" : "POST",
        url: endpoint.url,
        payload: JSON.parse(message.payload) as unknown,
        eventType: message.eventType,
        variables: endpoint.transformation.variables,
      });
      if (result.cancel) {
        transformed.push(null);
        continue;
      }
      target ??= { method: result.method, url: result.url };
      transformed.push({ ...message, payload: JSON.stringify(result.payload) });
    } catch (error) {
      if (error instanceof TransformationError) return { ok: false, error: error.message };
      throw error;
    }
  }
  if (target && target.url !== endpoint.url) {
    const check = checkEndpointUrl(target.url, deps.addressPolicy);
    if (!check.ok) return { ok: false, error: `transformation set a URL Herald may not call: ${check.reason}` };
  }
  return { ok: true, method: target?.method ?? options.method, url: target?.url ?? endpoint.url, messages: transformed };
}
