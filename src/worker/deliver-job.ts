import type { SendResult } from "../delivery/http-sender.ts";
import { parseRetryAfter, retryDelayMs } from "../delivery/retry-policy.ts";
import { signStandardWebhook } from "../delivery/signature.ts";
import { redactHeaders } from "../domain/endpoint-headers.ts";
import { signingKeys } from "../domain/endpoint-keys.ts";
import { newId } from "../domain/ids.ts";
import type { Attempt, Endpoint, Message, MessageStatus } from "../domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../domain/types.ts";
import type { Job } from "../store/store.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export const USER_AGENT = "Herald-Webhooks/0.1";

/** Svix sends message.attempt.failing after this many failed attempts in a row. */
const FAILING_AFTER_ATTEMPTS = 4;

/** The request Herald sends for one message to one endpoint (Standard Webhooks headers). */
export function buildRequest(message: Message, endpoint: Endpoint, now: number) {
  const body = message.payload ?? "{}";
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {
    ...endpoint.headers,
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": message.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signStandardWebhook(message.id, timestamp, body, signingKeys(endpoint.keys, now)),
  };
  return { method: "POST", url: endpoint.url, headers, body };
}

/**
 * Runs one delivery job: sends, records the attempt, schedules the retry or ends the job, and
 * reports what the operator should hear about (failing, exhausted, recovered, disabled).
 */
export async function runDeliverJob(deps: WorkerDeps, job: Job): Promise<void> {
  const { store, clock, config } = deps;
  const [message, endpoint] = await Promise.all([store.getMessage(job.appId, job.msgId!), store.getEndpoint(job.appId, job.endpointId!)]);
  // Gone or switched off since it was queued: nothing to send. Scheduled deliveries to a disabled
  // endpoint are dropped (recover/replay bring them back); manual ones are still sent.
  if (!message || !endpoint) {
    await store.dropJob(job);
    return;
  }
  if (endpoint.disabled && job.trigger === TRIGGER.scheduled) {
    await store.abandonDelivery(job, clock.now());
    return;
  }

  const now = clock.now();
  const outbound = buildRequest(message, endpoint, now);
  const result: SendResult =
    message.payload === null
      ? { kind: "error", code: "NO_PAYLOAD", message: "The message's content has expired or was expunged", durationMs: 0 }
      : await deps.sender.send({ ...outbound, timeoutMs: config.requestTimeoutMs });

  const succeeded = result.kind === "response" && result.status >= 200 && result.status < 300;
  const gone = result.kind === "response" && result.status === 410;
  const scheduled = job.trigger === TRIGGER.scheduled;
  const finishedAt = clock.now();
  const retryIn =
    succeeded || gone || !scheduled || message.payload === null
      ? null
      : retryDelayMs(job.attempt, config.retryScheduleSeconds, result.kind === "response" ? parseRetryAfter(result.headers["retry-after"], finishedAt) : null, deps.random);

  const status: MessageStatus = succeeded ? MESSAGE_STATUS.success : MESSAGE_STATUS.fail;
  const attempt: Attempt = {
    id: newId("attempt", now),
    appId: job.appId,
    msgId: message.id,
    endpointId: endpoint.id,
    url: endpoint.url,
    status,
    responseStatusCode: result.kind === "response" ? result.status : 0,
    response: result.kind === "response" ? result.body : result.message,
    responseDurationMs: result.durationMs,
    triggerType: job.trigger,
    attemptNumber: job.attempt,
    request: { method: outbound.method, url: outbound.url, headers: redactHeaders(outbound.headers), body: null },
    createdAt: now,
  };
  const { firstFailureAt } = await store.completeDelivery(job, {
    attempt,
    destinationStatus: retryIn !== null ? MESSAGE_STATUS.pending : status,
    retryAt: retryIn !== null ? finishedAt + retryIn : null,
    endpointHealth: scheduled ? (succeeded ? "success" : "failure") : null,
  });

  if (!scheduled) return;
  const event = succeeded
    ? job.attempt > FAILING_AFTER_ATTEMPTS
      ? "message.attempt.recovered"
      : null
    : retryIn === null
      ? "message.attempt.exhausted"
      : job.attempt === FAILING_AFTER_ATTEMPTS
        ? "message.attempt.failing"
        : null;
  if (event) {
    const app = await store.getApplication(job.appId);
    await deps.operationalEvents.emit(event, {
      appId: job.appId,
      appUid: app?.uid ?? null,
      endpointId: endpoint.id,
      msgId: message.id,
      msgEventId: message.eventId,
      lastAttempt: { id: attempt.id, responseStatusCode: attempt.responseStatusCode, timestamp: new Date(now).toISOString() },
    });
  }
  if (succeeded) return;

  const failingTooLong = firstFailureAt !== null && finishedAt - firstFailureAt >= config.disableAfterHours * 3_600_000;
  if (gone || failingTooLong) await disableEndpoint(deps, endpoint, firstFailureAt ?? now);
}

async function disableEndpoint(deps: WorkerDeps, endpoint: Endpoint, failSince: number): Promise<void> {
  if (!(await deps.store.disableEndpoint(endpoint.appId, endpoint.id, deps.clock.now()))) return;
  deps.logger.warn({ appId: endpoint.appId, endpointId: endpoint.id }, "endpoint disabled after continuous failure");
  const app = await deps.store.getApplication(endpoint.appId);
  await deps.operationalEvents.emit("endpoint.disabled", {
    appId: endpoint.appId,
    appUid: app?.uid ?? null,
    endpointId: endpoint.id,
    endpointUid: endpoint.uid,
    failSince: new Date(failSince).toISOString(),
  });
}
