import { mtlsIdentityOf } from "../crypto/mtls-identity.ts";
import { failureWindowMs, isAccepted, shouldDisable } from "../delivery/delivery-rules.ts";
import type { SendResult } from "../delivery/http-sender.ts";
import { type Preparation, prepareRequest } from "../delivery/outbound-request.ts";
import { parseRetryAfter, retryDelayMs } from "../delivery/retry-policy.ts";
import type { ResolvedDeliveryOptions } from "../domain/delivery-options.ts";
import { redactHeaders } from "../domain/endpoint-headers.ts";
import { newId } from "../domain/ids.ts";
import type { Attempt, Endpoint, Message, MessageStatus } from "../domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../domain/types.ts";
import { endpointDeliveryOptions } from "../profiles/profiles.ts";
import type { EndpointHealth, Job } from "../store/store.ts";
import { waitForRateSlot } from "./rate-limit.ts";
import { transformMessages } from "./transform-step.ts";
import { leaseFor, type WorkerDeps } from "./worker-deps.ts";

/** Svix sends message.attempt.failing after this many failed attempts in a row. */
const FAILING_AFTER_ATTEMPTS = 4;

/** One message of the request being made, with the job that carries it. */
interface Delivery {
  job: Job;
  message: Message;
}

/** A claimed delivery job with its message and endpoint, as the fan-out that queued it read them. */
export interface PreloadedDelivery {
  job: Job;
  message: Message;
  endpoint: Endpoint;
}

/**
 * Runs one delivery job: sends (with, for a batching endpoint, the consecutive messages queued
 * behind it), records one attempt per message, schedules the retry or ends the jobs, applies the
 * endpoint's disable policy, and reports what the operator should hear about (failing, exhausted,
 * recovered, disabled).
 */
export async function runDeliverJob(deps: WorkerDeps, job: Job, preloaded?: PreloadedDelivery): Promise<void> {
  const { store, clock } = deps;
  const [message, endpoint] = preloaded
    ? [preloaded.message, preloaded.endpoint]
    : await Promise.all([deps.messageReads.read(job.appId, job.msgId!), store.getEndpoint(job.appId, job.endpointId!)]);
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
  if (await waitForRateSlot(deps, job, endpoint)) return;
  const options = await optionsFor(deps, endpoint, message);
  const deliveries = [{ job, message }, ...(await batchFollowers(deps, job, options))];
  const release = deps.holdJobs(deliveries.slice(1).map((delivery) => delivery.job));
  try {
    await deliver(deps, endpoint, options, deliveries);
  } finally {
    release();
  }
}

/**
 * The endpoint's options, with the message's event type's retry schedule (hosted Svix) in place
 * of the profile's when the endpoint does not set its own.
 */
async function optionsFor(deps: WorkerDeps, endpoint: Endpoint, message: Message): Promise<ResolvedDeliveryOptions> {
  const options = endpointDeliveryOptions(endpoint, deps.config);
  if (endpoint.options.retrySchedule !== undefined) return options;
  const eventTypeSchedule = (await deps.lookups.eventType(message.eventType))?.retrySchedule;
  return eventTypeSchedule ? { ...options, retrySchedule: eventTypeSchedule } : options;
}

/** For a batching endpoint: the lane's next queued messages, claimed to ride along with the head. */
async function batchFollowers(deps: WorkerDeps, head: Job, options: ResolvedDeliveryOptions): Promise<Delivery[]> {
  if (!options.batch || options.batch.maxSize <= 1 || head.lane === null) return [];
  const jobs = await deps.store.claimLaneFollowers(head, options.batch.maxSize - 1, leaseFor(deps));
  const followers: Delivery[] = [];
  for (const job of jobs) {
    const message = await deps.store.getMessage(job.appId, job.msgId!);
    if (message) followers.push({ job, message });
    else await deps.store.dropJob(job);
  }
  return followers;
}

/** What came of one request (or of not making it), applied to each message it carried. */
interface RequestOutcome {
  /** `canceled`: a transformation cancelled the message, so no request was made, successfully. */
  result: SendResult | { kind: "canceled"; message: string };
  prepared: Preparation | null;
  target: { method: string; url: string };
}

async function deliver(deps: WorkerDeps, endpoint: Endpoint, options: ResolvedDeliveryOptions, deliveries: Delivery[]): Promise<void> {
  const now = deps.clock.now();
  const transformed = await transformMessages(deps, endpoint, options, deliveries.map((delivery) => delivery.message));
  if (!transformed.ok) {
    const failure: SendResult = { kind: "error", code: "TRANSFORMATION", message: transformed.error, durationMs: 0 };
    await complete(deps, endpoint, options, deliveries, { result: failure, prepared: null, target: { method: options.method, url: endpoint.url } }, now);
    return;
  }
  // Messages the transformation cancelled count as handled (Svix, Codat); the rest are sent.
  const canceled = deliveries.filter((_, index) => transformed.messages[index] === null);
  const sending = deliveries.flatMap((delivery, index) => {
    const message = transformed.messages[index];
    return message ? [{ ...delivery, sent: message }] : [];
  });
  const target = { method: transformed.method, url: transformed.url };
  if (canceled.length > 0) {
    const result = { kind: "canceled" as const, message: "Canceled by the endpoint's transformation" };
    await complete(deps, endpoint, options, canceled, { result, prepared: null, target }, now);
  }
  if (sending.length === 0) return;

  const descriptions = await eventTypeDescriptions(deps, options, sending);
  const prepared = prepareRequest(
    sending.map((delivery) => delivery.sent),
    endpoint,
    options,
    (name) => descriptions.get(name) ?? null,
    now,
    target,
  );
  const result: SendResult = prepared.ok
    ? await deps.sender.send({ ...prepared.request, timeoutMs: options.timeoutMs, clientIdentity: mtlsIdentityOf(endpoint) })
    : { kind: "error", code: "RENDER", message: prepared.error, durationMs: 0 };
  await complete(deps, endpoint, options, sending, { result, prepared, target }, now);
}

/**
 * Records one attempt per message of the request, schedules the retry or ends the jobs, reports to
 * the operator, and applies the endpoint's disable policy.
 */
async function complete(
  deps: WorkerDeps,
  endpoint: Endpoint,
  options: ResolvedDeliveryOptions,
  deliveries: Delivery[],
  { result, prepared, target }: RequestOutcome,
  now: number,
): Promise<void> {
  const head = deliveries[0]!;
  const canceled = result.kind === "canceled";
  const succeeded = canceled || (result.kind === "response" && isAccepted(options.acceptStatus, result.status));
  const gone = result.kind === "response" && result.status === 410;
  const scheduled = head.job.trigger === TRIGGER.scheduled;
  const finishedAt = deps.clock.now();
  const retryIn =
    succeeded || (gone && options.disablePolicy.type !== "never") || !scheduled || head.message.payload === null
      ? null
      : retryDelayMs(
          head.job.attempt,
          options.retrySchedule,
          result.kind === "response" ? parseRetryAfter(result.headers["retry-after"], finishedAt) : null,
          deps.random,
          options.retryForever,
        );
  const status: MessageStatus = succeeded ? MESSAGE_STATUS.success : MESSAGE_STATUS.fail;
  const request = prepared?.ok ? prepared.request : null;

  // The head's attempt gets the newest id, so "the endpoint's latest attempt" is the head's, which
  // carries the batch's attempt count (followers may have joined on a retry).
  const attemptIds = deliveries.map(() => newId("attempt", now)).reverse();
  let health: EndpointHealth | null = null;
  for (const [index, { job, message }] of deliveries.entries()) {
    const element = request ? request.elements[index]! : null;
    const attempt: Attempt = {
      id: attemptIds[index]!,
      appId: job.appId,
      msgId: message.id,
      endpointId: endpoint.id,
      url: target.url,
      status,
      responseStatusCode: result.kind === "response" ? result.status : 0,
      response: result.kind === "response" ? result.body : result.message,
      responseDurationMs: result.kind === "canceled" ? 0 : result.durationMs,
      triggerType: job.trigger,
      attemptNumber: job.attempt,
      batchSize: deliveries.length,
      request: {
        method: target.method,
        url: target.url,
        headers: request ? redactHeaders(request.headers, deps.config.sensitiveHeaders) : {},
        // The payload is stored once, on the message; a body that differs from it is kept here.
        body: element === message.payload ? null : element,
      },
      createdAt: now,
    };
    // One request is one success or failure for the endpoint's health, however many messages it
    // carried; a cancelled message made no request at all.
    const counted = index === 0 && job.trigger === TRIGGER.scheduled && !canceled;
    const after = await deps.store.completeDelivery(job, {
      attempt,
      destinationStatus: retryIn !== null ? MESSAGE_STATUS.pending : status,
      retryAt: retryIn !== null ? finishedAt + retryIn : null,
      endpointHealth: counted ? (succeeded ? "success" : "failure") : null,
      failureWindowMs: failureWindowMs(options.disablePolicy),
      canceled,
    });
    if (index === 0) health = after;
    if (job.trigger === TRIGGER.scheduled) await reportAttempt(deps, job, message, attempt, succeeded, retryIn === null);
  }

  if (!scheduled || succeeded || !health) return;
  if (shouldDisable(options.disablePolicy, health, finishedAt, gone)) await disableEndpoint(deps, endpoint, health.firstFailureAt ?? now);
}

/** Event type descriptions, looked up only for bodies that can show them (Dastra's eventName, templates). */
async function eventTypeDescriptions(deps: WorkerDeps, options: ResolvedDeliveryOptions, deliveries: Delivery[]): Promise<Map<string, string>> {
  const descriptions = new Map<string, string>();
  if ("preset" in options.body && options.body.preset !== "dastra") return descriptions;
  for (const name of new Set(deliveries.map((delivery) => delivery.message.eventType))) {
    const eventType = await deps.lookups.eventType(name);
    if (eventType?.description) descriptions.set(name, eventType.description);
  }
  return descriptions;
}

/** Operational webhooks about one message's scheduled attempt: failing, exhausted, recovered. */
async function reportAttempt(deps: WorkerDeps, job: Job, message: Message, attempt: Attempt, succeeded: boolean, final: boolean): Promise<void> {
  const event = succeeded
    ? job.attempt > FAILING_AFTER_ATTEMPTS
      ? "message.attempt.recovered"
      : null
    : final
      ? "message.attempt.exhausted"
      : job.attempt === FAILING_AFTER_ATTEMPTS
        ? "message.attempt.failing"
        : null;
  if (!event) return;
  const app = await deps.store.getApplication(job.appId);
  await deps.operationalEvents.emit(event, {
    appId: job.appId,
    appUid: app?.uid ?? null,
    endpointId: attempt.endpointId,
    msgId: message.id,
    msgEventId: message.eventId,
    lastAttempt: { id: attempt.id, responseStatusCode: attempt.responseStatusCode, timestamp: new Date(attempt.createdAt).toISOString() },
  });
}

async function disableEndpoint(deps: WorkerDeps, endpoint: Endpoint, failSince: number): Promise<void> {
  if (!(await deps.store.disableEndpoint(endpoint.appId, endpoint.id, deps.clock.now()))) return;
  deps.logger.warn({ appId: endpoint.appId, endpointId: endpoint.id }, "endpoint disabled by its disable policy");
  const app = await deps.store.getApplication(endpoint.appId);
  await deps.operationalEvents.emit("endpoint.disabled", {
    appId: endpoint.appId,
    appUid: app?.uid ?? null,
    endpointId: endpoint.id,
    endpointUid: endpoint.uid,
    failSince: new Date(failSince).toISOString(),
  });
}
