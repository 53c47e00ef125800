import type { AttemptCounts, StatsSpanMs } from "../domain/attempt-stats.ts";
import type {
  Application,
  Attempt,
  BackgroundTask,
  Destination,
  Endpoint,
  EventType,
  Message,
  MessageStatus,
  Page,
  PageRequest,
  TriggerType,
} from "../domain/types.ts";

/**
 * The one storage contract Herald runs on. SQLite (`store/sqlite/`) implements it now and PostgreSQL
 * (`store/postgres/`) will; nothing above this file knows which. It speaks in domain objects and in
 * queue terms (claim, fan out, complete, release) and exposes no connection or transaction: each
 * method is one atomic unit of work.
 *
 * The queue holds three kinds of job:
 * - `fanout`: a newly accepted message, to be matched against its application's endpoints;
 * - `deliver`: one message to one endpoint (scheduled with retries, or manual and single-shot);
 * - `task`: a background task (recover, replay) run by a worker.
 * A claimed job's `runAt` is pushed to the end of its lease, so a job whose worker died becomes due
 * again by itself; `leaseToken` tells a late worker that its lease was taken over. A delivery that
 * its endpoint's rate limit holds back is put back until the slot it reserved (reserveDeliverySlot,
 * postponeJob) and carries that slot when claimed again (`rateSlotAt`).
 */
export interface Store
  extends ApplicationStore,
    EventTypeStore,
    EndpointStore,
    MessageStore,
    AttemptStore,
    QueueStore,
    BackgroundTaskStore,
    IdempotencyStore,
    RetentionStore,
    SessionStore,
    AttemptStatsStore {
  /** Applies pending migrations. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  /**
   * Calls `callback` soon after any process queues work (PostgreSQL: LISTEN/NOTIFY), so idle
   * workers wake at once instead of at their next poll. Engines without such a channel never call
   * it (workers poll). Resolves to an unsubscribe function.
   */
  onWork(callback: () => void): Promise<() => Promise<void>>;
  /** Cheap round trip used by the health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown on a unique-key violation (uid, eventId, event type name). `field` names the offending field. */
export class StoreConflictError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "StoreConflictError";
    this.field = field;
  }
}

export interface ApplicationStore {
  /** Throws StoreConflictError("uid") when the uid is taken. */
  createApplication(app: Application): Promise<void>;
  /** By id or uid. Deleted applications are not found. */
  getApplication(idOrUid: string): Promise<Application | null>;
  /** Excludes deleted applications and the internal operational-webhook application. */
  listApplications(page: PageRequest): Promise<Page<Application>>;
  /** Replaces name, uid, throttleRate, metadata, updatedAt. Throws StoreConflictError("uid"). */
  updateApplication(app: Application): Promise<void>;
  /** Soft delete: the row stays for history, its uid is freed, its endpoints are deleted too. */
  deleteApplication(id: string, at: number): Promise<void>;
}

export interface EventTypeStore {
  /** Throws StoreConflictError("name") if a non-expunged event type has that name. */
  createEventType(eventType: EventType): Promise<void>;
  getEventType(name: string): Promise<EventType | null>;
  /** Ordered by name; the iterator is a name. */
  listEventTypes(page: PageRequest, includeArchived: boolean): Promise<Page<EventType>>;
  /** Replaces every field but name and createdAt. */
  updateEventType(eventType: EventType): Promise<void>;
  /** Removes the row for good (Svix `expunge=true`); archiving is an update. */
  expungeEventType(name: string): Promise<void>;
}

export interface EndpointStore {
  /** Throws StoreConflictError("uid") when the uid is taken within the application. */
  createEndpoint(endpoint: Endpoint): Promise<void>;
  /** By id or uid, within one application. Deleted endpoints are not found. */
  getEndpoint(appId: string, idOrUid: string): Promise<Endpoint | null>;
  listEndpoints(appId: string, page: PageRequest): Promise<Page<Endpoint>>;
  /** Every live endpoint of an application, disabled ones included, for fan-out. */
  listAllEndpoints(appId: string): Promise<Endpoint[]>;
  /**
   * Replaces every mutable field (url … metadata, keys, headers, disabled, failure counters,
   * profile, options, transformation, mtlsIdentity, version, updatedAt). Not throttledSince, nor
   * the rate limiter's state: reserveDeliverySlot keeps those.
   */
  updateEndpoint(endpoint: Endpoint): Promise<void>;
  /** Soft delete; frees the uid; drops the endpoint's queued deliveries. */
  deleteEndpoint(appId: string, endpointId: string, at: number): Promise<void>;
  /**
   * Sets disabled=true if it was not already. Returns true only for the call that disabled it, so
   * the `endpoint.disabled` operational webhook is sent once.
   */
  disableEndpoint(appId: string, endpointId: string, at: number): Promise<boolean>;
  /**
   * Svix `cancel-msgs` (Grist "clear queue"): removes every queued delivery to the endpoint of a
   * message created before `createdBefore`, in flight or not, and marks those destinations
   * canceled. Returns how many deliveries were canceled.
   */
  cancelEndpointMessages(appId: string, endpointId: string, createdBefore: number, at: number): Promise<number>;
  /** What the endpoint's queue holds and how its latest requests went (Grist-style usage). */
  getEndpointDeliveryStatus(appId: string, endpointId: string, now: number): Promise<EndpointDeliveryStatus>;
  /**
   * The endpoint's rate limiter: reserves the next delivery slot and returns its time, atomically
   * across processes (one statement on the endpoint's row). The slot is the endpoint's next free
   * time, or `now` if that has passed, and the next free time becomes slot + intervalMs: intervals
   * are reserved, so N concurrent callers get N distinct slots `intervalMs` apart, and a caller
   * that sends at its slot keeps the endpoint at its rate whatever the number of workers.
   * `intervalMs` is rounded up to a whole millisecond (never faster than asked). Also sets
   * throttledSince: kept (or set to now) while the slot lies ahead of `now`, cleared when not.
   * An endpoint that does not exist has nothing to hold back: returns `now`.
   *
   * ```ts
   * const slot = await store.reserveDeliverySlot(appId, endpointId, now, 1000 / throttleRate);
   * if (slot > now) await store.postponeJob(job, slot); // claimed again at its slot
   * ```
   */
  reserveDeliverySlot(appId: string, endpointId: string, now: number, intervalMs: number): Promise<number>;
}

export interface EndpointDeliveryStatus {
  /** Deliveries queued for the endpoint, in flight ones included. */
  numWaiting: number;
  /** Some delivery to it is leased by a worker right now. */
  sending: boolean;
  /** Some queued delivery has failed before and waits for its retry (attempt > 1). */
  retrying: boolean;
  /** The newest attempt, the newest successful one and the newest failed one. */
  lastAttempt: Attempt | null;
  lastSuccess: Attempt | null;
  lastFailure: Attempt | null;
}

export interface MessageListFilter {
  page: PageRequest;
  channel?: string;
  eventTypes?: string[];
  /** Epoch ms bounds on the message's creation time. */
  before?: number;
  after?: number;
}

/** A message by its id and its application's. */
export interface MessageRef {
  appId: string;
  msgId: string;
}

export interface MessageStore {
  /**
   * Stores the message and queues its fan-out in one transaction: once this resolves the message
   * is durable and will be delivered. Throws StoreConflictError("eventId") on a duplicate eventId.
   * With a lease, the fan-out job is queued already claimed under it and returned, so the process
   * that accepted the message fans it out with no claim and no read (null without a lease).
   */
  createMessage(message: Message, lease?: Lease): Promise<Job | null>;
  /**
   * Stores a message and queues one scheduled delivery to one endpoint, bypassing fan-out and
   * filters (send-example).
   */
  createMessageForEndpoint(message: Message, endpointId: string): Promise<void>;
  /** By id or eventId, within one application. */
  getMessage(appId: string, idOrEventId: string): Promise<Message | null>;
  /**
   * Several messages by id, each within its application, in one read: the message or null for
   * each, in the order asked (the worker reads the messages of the fan-outs it claimed together).
   */
  getMessagesByIds(refs: MessageRef[]): Promise<Array<Message | null>>;
  /** Newest first by default. */
  listMessages(appId: string, filter: MessageListFilter): Promise<Page<Message>>;
  /** Drops the payload (and request bodies of its attempts). */
  expungeMessageContent(appId: string, msgId: string): Promise<void>;
}

export interface AttemptListFilter {
  page: PageRequest;
  msgId?: string;
  endpointId?: string;
  status?: MessageStatus;
  /** 0 = no response, 100, 200, 300, 400, 500: the class of responseStatusCode. */
  statusCodeClass?: number;
  channel?: string;
  eventTypes?: string[];
  before?: number;
  after?: number;
}

export interface DestinationListFilter {
  page: PageRequest;
  /** Herald extension: oldest message first, so a bulk replay can page forward through them. */
  ascending?: boolean;
  status?: MessageStatus;
  channel?: string;
  eventTypes?: string[];
  before?: number;
  after?: number;
}

export interface EndpointStats {
  success: number;
  pending: number;
  sending: number;
  fail: number;
  canceled: number;
}

export interface AttemptStore {
  /** Newest first. */
  listAttempts(appId: string, filter: AttemptListFilter): Promise<Page<Attempt>>;
  getAttempt(appId: string, msgId: string, attemptId: string): Promise<Attempt | null>;
  /** Drops the response body and request body of one attempt. */
  expungeAttemptContent(appId: string, msgId: string, attemptId: string): Promise<void>;
  /**
   * Messages of the application created within [since, until) that were never queued for the
   * endpoint (no destination row for it: e.g. sent while it was disabled or before it existed),
   * ascending by id, after `afterMsgId` (exclusive), at most `limit`. For replay-missing; the
   * caller applies the endpoint's filters. An endpoint of another application finds nothing.
   */
  listMessagesMissingDestination(
    appId: string,
    endpointId: string,
    range: { since: number; until: number; afterMsgId: string | null; limit: number },
  ): Promise<Message[]>;
  /** Where a message went: one row per endpoint it was queued for, ordered by endpoint id. */
  listDestinationsByMessage(appId: string, msgId: string, page: PageRequest): Promise<Page<Destination>>;
  /**
   * What an endpoint got: its destinations joined with their messages, newest message first
   * (whatever the page's order, as Svix), or oldest first with `ascending` (bulk replay).
   */
  listDestinationsByEndpoint(
    appId: string,
    endpointId: string,
    filter: DestinationListFilter,
  ): Promise<Page<{ destination: Destination; message: Message }>>;
  /** Destination counts by status for messages created within [since, until). */
  getEndpointStats(appId: string, endpointId: string, since: number, until: number): Promise<EndpointStats>;
  /**
   * Ids of messages created within [since, until) whose delivery to the endpoint failed and never
   * succeeded, ascending, after `afterMsgId` (exclusive), at most `limit`. For recover.
   */
  listFailedMessageIds(
    appId: string,
    endpointId: string,
    range: { since: number; until: number; afterMsgId: string | null; limit: number },
  ): Promise<string[]>;
}

export type JobKind = "fanout" | "deliver" | "task";

export interface Job {
  id: number;
  kind: JobKind;
  appId: string;
  msgId: string | null;
  endpointId: string | null;
  /**
   * For deliveries to an ordered endpoint (`ordering: "fifo"` or `batch`): the lane, which is the
   * endpoint id. Only the head of a lane (lowest message id) is ever claimed, so one delivery is in
   * flight per lane, in message order, and a failing head blocks the rest.
   */
  lane: string | null;
  taskId: string | null;
  /** For deliveries: the number of the attempt this job will make, from 1. */
  attempt: number;
  trigger: TriggerType;
  runAt: number;
  leaseToken: string;
  /**
   * For a delivery postponed by the endpoint's rate limit (postponeJob): the slot it reserved, so
   * the worker sends it without reserving another. Null for new and retried jobs (a retry needs a
   * new slot).
   */
  rateSlotAt: number | null;
}

/** A delivery to queue: one message to one endpoint. */
export interface DeliveryRequest {
  appId: string;
  msgId: string;
  endpointId: string;
  trigger: TriggerType;
  runAt: number;
  /** True when the endpoint is ordered: the job joins the endpoint's lane (see Job.lane). */
  ordered: boolean;
}

/** One endpoint a message fans out to. */
export interface FanOutTarget {
  endpointId: string;
  /** Ordered endpoints get a lane job, queued unclaimed (the lane's head is claimed in turn). */
  ordered: boolean;
  /** Extra wait before the first attempt (a batch's maxWaitMs); 0 for none. */
  delayMs: number;
}

export interface Lease {
  workerId: string;
  now: number;
  leaseMs: number;
}

/** What one finished delivery attempt changes, written in one transaction by completeDelivery. */
export interface DeliveryOutcome {
  attempt: Attempt;
  /** The destination's new status (success, fail, or pending when a retry is scheduled). */
  destinationStatus: MessageStatus;
  /** When the job runs again (next attempt); null to remove the job. */
  retryAt: number | null;
  /**
   * For scheduled attempts: a success clears firstFailureAt and consecutiveFailures; a failure sets
   * firstFailureAt if unset, adds one to consecutiveFailures, and adds one to windowFailures (or
   * restarts it at 1 when the previous failure is older than `failureWindowMs`), and sets
   * lastFailureAt. Manual attempts, and all but the first job of a batch, leave health alone (null).
   */
  endpointHealth: "success" | "failure" | null;
  /** The `window` disable policy's quiet gap; any positive number when the policy is another. */
  failureWindowMs: number;
  /**
   * The endpoint's transformation canceled the message: no request was made. The attempt is
   * recorded as a success (the message is handled) and counted as canceled in the attempt
   * statistics. Absent means false.
   */
  canceled?: boolean;
}

/** The endpoint's failure counters after a completion (see Endpoint). */
export interface EndpointHealth {
  firstFailureAt: number | null;
  consecutiveFailures: number;
  windowFailures: number;
}

export interface QueueStore {
  /**
   * Claims up to `limit` due jobs (runAt ≤ now) for `lease.leaseMs`: their runAt moves to now +
   * leaseMs and they get a fresh leaseToken. Due fan-outs go first, oldest first, up to half the
   * limit (rounded down); the rest are the oldest due jobs of any kind. A message posted while a
   * large fan-out's deliveries wait in the queue is thus fanned out (and its deliveries started)
   * without waiting behind them, while the oldest jobs still move with every claim of two or more.
   * A lane job is claimable only as its lane's head, and only once no older message of its
   * application still waits for fan-out (so concurrent fan-outs cannot reorder a lane).
   */
  claimJobs(limit: number, lease: Lease): Promise<Job[]>;
  /**
   * Queues one scheduled delivery per target of a claimed fanout job and creates their pending
   * destinations, in one transaction; unless `moreToCome` (a fan-out written in parts), the fanout
   * job is deleted in it too. A target whose message already has a destination there gets neither
   * (an earlier run of this fan-out, cut short, queued it; of duplicate targets the first counts).
   * Unordered deliveries without delay come back already claimed with `lease`, so the caller can
   * send at once, up to `claimLimit` of them (the caller's room); the rest of those are queued
   * unclaimed and due now, for any worker. Ordered or delayed ones are queued unclaimed, due at
   * now + delayMs. Returns [] and writes nothing if the fanout job's lease was lost.
   */
  fanOut(job: Job, targets: FanOutTarget[], lease: Lease, claimLimit?: number, options?: { moreToCome?: boolean }): Promise<Job[]>;
  /**
   * Claims up to `limit` further jobs of a claimed lane head's lane, in message order, due or not
   * (they are what a batch carries along with its head). A batch stays contiguous: the run stops at
   * the first job another worker holds. Returns [] for a job without a lane, or if the head's lease
   * was lost.
   */
  claimLaneFollowers(head: Job, limit: number, lease: Lease): Promise<Job[]>;
  /** Queues deliveries (resend, recover) and marks their destinations pending, in one transaction. */
  enqueueDeliveries(deliveries: DeliveryRequest[]): Promise<void>;
  /**
   * Records a finished attempt: inserts it, updates the destination and the endpoint's failure
   * clock, and reschedules (without its rate slot) or removes the job, in one transaction. For a
   * failure (endpointHealth "failure") returns the endpoint's counters after the update, which decide
   * whether it is disabled; otherwise null (a success or a manual attempt disables nothing, and
   * SQLite saves a read on every delivery). If the job's lease was lost the attempt is still
   * recorded but the job is left to its new owner.
   */
  completeDelivery(job: Job, outcome: DeliveryOutcome): Promise<EndpointHealth | null>;
  /** Removes a claimed job without an attempt (message or endpoint gone, task done). */
  dropJob(job: Job): Promise<void>;
  /**
   * Removes a claimed delivery that will not be attempted (its endpoint was disabled) and marks
   * its destination failed, so it counts as failed and recover can bring it back.
   */
  abandonDelivery(job: Job, at: number): Promise<void>;
  /**
   * Pushes the lease of jobs a worker still holds (same leaseToken) to end at `until`. Workers renew
   * the leases of their in-flight jobs every few seconds, so leases can be short and a dead
   * worker's jobs are taken over soon. A job whose row another transaction holds at that moment
   * (its own completion, say) may be left to the next renewal rather than waited for.
   */
  extendLeases(jobs: Job[], until: number): Promise<void>;
  /**
   * Makes claimed jobs due again now (graceful shutdown, or work put back). A released job gives
   * up its rate slot: claimed again, it reserves a new one (so put-back work cannot burst).
   */
  releaseJobs(jobs: Job[], runAt: number): Promise<void>;
  /**
   * Puts a claimed delivery back until its rate slot (see reserveDeliverySlot): runAt and the job's
   * rateSlotAt become `runAt` and its lease ends. Returns false (and changes nothing) if the lease
   * was lost. Sends no work notification: the job is not due yet, and workers poll.
   */
  postponeJob(job: Job, runAt: number): Promise<boolean>;
  /**
   * runAt of the earliest job, or null when the queue is empty. Lets an idle worker sleep exactly.
   * Of a lane only the head counts: its followers cannot run before it.
   */
  nextJobDueAt(): Promise<number | null>;
  /**
   * Depth and the age of the oldest due job, for health and metrics. Lane followers waiting behind
   * their head count as due: they are the lane's backlog.
   */
  queueStats(now: number): Promise<{ depth: number; due: number; oldestDueAt: number | null }>;
}

export interface BackgroundTaskStore {
  /** Stores the task and queues a `task` job for it, in one transaction. */
  createBackgroundTask(task: BackgroundTask, appId: string): Promise<void>;
  getBackgroundTask(id: string): Promise<BackgroundTask | null>;
  listBackgroundTasks(page: PageRequest): Promise<Page<BackgroundTask>>;
  updateBackgroundTask(task: BackgroundTask): Promise<void>;
}

export interface StoredResponse {
  statusCode: number;
  body: string;
}

export type IdempotencyState =
  | { state: "started" }
  | { state: "in_progress" }
  | { state: "done"; response: StoredResponse };

export interface IdempotencyStore {
  /**
   * Claims an idempotency key. `started` means the caller owns it and must finish or abandon it;
   * `in_progress` means another request holds it (its claim expires after `lockMs`); `done`
   * carries the response to replay. Expired entries count as absent.
   */
  beginIdempotent(key: string, now: number, lockMs: number): Promise<IdempotencyState>;
  finishIdempotent(key: string, response: StoredResponse, expiresAt: number): Promise<void>;
  abandonIdempotent(key: string): Promise<void>;
}

/**
 * Retention, run by workers in bounded batches so it never holds the database for long. Both
 * return how many rows they handled; a caller loops until a batch comes back smaller than `limit`.
 */
export interface RetentionStore {
  /** Drops the payload of up to `limit` messages whose expiresAt ≤ now (their payloadRetentionPeriod). */
  expirePayloads(now: number, limit: number): Promise<number>;
  /**
   * Deletes up to `limit` messages created before `before`, with their destinations and attempts;
   * also deletes expired idempotency keys. (A job still queued for a pruned message finds it gone
   * and is dropped by the worker.)
   */
  pruneMessages(before: number, now: number, limit: number): Promise<number>;
  /** Deletes up to `limit` attempt-statistics rows of buckets that start before `before`. */
  pruneAttemptStats(before: number, limit: number): Promise<number>;
}

/** A portal link's single-use key, by its hash, with the claims of the token it is exchanged for. */
export interface OneTimeToken {
  keyHash: string;
  appId: string;
  /** JSON of the session token's claims. */
  claims: string;
  /** Where a page about a used or expired link points back to. */
  returnUrl: string | null;
  createdAt: number;
  expiresAt: number;
}

export type OneTimeRedemption =
  | { outcome: "redeemed"; claims: string }
  | { outcome: "used" | "expired"; returnUrl: string | null }
  | { outcome: "unknown" };

/**
 * Revokes, from `effectiveAt` on, the app's tokens issued at or before `issuedBefore`: all of them,
 * one session's (`sessionId`) or one token (`tokenId`).
 */
export interface TokenRevocation {
  appId: string;
  sessionId: string | null;
  tokenId: string | null;
  issuedBefore: number;
  effectiveAt: number;
  /** After this no token it can match is still unexpired, so the row may go. */
  pruneAfter: number;
}

/** Consumer-portal sessions: single-use link keys and token revocations. */
export interface SessionStore {
  /** Also deletes keys that expired more than a day before `oneTimeToken.createdAt`. */
  createOneTimeToken(oneTimeToken: OneTimeToken): Promise<void>;
  /** Marks the key used if it is unused and unexpired at `now`, atomically: one caller ever redeems it. */
  redeemOneTimeToken(keyHash: string, now: number): Promise<OneTimeRedemption>;
  /** Also deletes revocations whose pruneAfter has passed. */
  addTokenRevocations(revocations: TokenRevocation[], now: number): Promise<void>;
  listTokenRevocations(appId: string): Promise<TokenRevocation[]>;
}

/** A window of attempt statistics to read (see src/domain/attempt-stats.ts). */
export interface AttemptStatsQuery {
  /** Epoch ms, a multiple of `periodMs` (and so of `spanMs`). */
  since: number;
  /** Epoch ms, exclusive: since + a whole number of periods. */
  until: number;
  /** Which rows to read: 5-minute or hour rows. */
  spanMs: StatsSpanMs;
  /** The length of the buckets to sum the rows into, a multiple of spanMs. */
  periodMs: number;
  /** Only this endpoint's attempts. */
  endpointId?: string;
}

export interface AttemptStats {
  /** One entry per period that had attempts, by its start; periods without any are left out. */
  byPeriod: Array<{ start: number } & AttemptCounts>;
  /** One entry per endpoint that had attempts in the window, ordered by endpoint id. */
  byEndpoint: Array<{ endpointId: string } & AttemptCounts>;
}

/**
 * Counts of the attempts an application's endpoints got, by outcome, with their latency
 * histograms, kept in the transaction that records each attempt (completeDelivery), so reading a
 * window costs the number of its buckets and endpoints, not of its attempts.
 */
export interface AttemptStatsStore {
  getAttemptStats(appId: string, query: AttemptStatsQuery): Promise<AttemptStats>;
}
