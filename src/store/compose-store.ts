import type {
  ApplicationStore,
  AttemptStatsStore,
  AttemptStore,
  BackgroundTaskStore,
  EndpointStore,
  EventTypeStore,
  IdempotencyStore,
  MessageStore,
  QueueStore,
  RetentionStore,
  SessionStore,
  Store,
} from "./store.ts";

/** What each engine builds, one part per sub-contract of Store, in this order. */
export type StoreParts = [
  ApplicationStore,
  EventTypeStore,
  EndpointStore,
  MessageStore,
  AttemptStore,
  QueueStore,
  BackgroundTaskStore,
  IdempotencyStore,
  RetentionStore,
  SessionStore,
  AttemptStatsStore,
];

/** An engine's connection-level methods. */
export type StoreLifecycle = Pick<Store, "migrate" | "onWork" | "ping" | "close">;

/** Joins an engine's parts into one Store; the tuple type makes a missing part a compile error. */
export function composeStore(parts: StoreParts, lifecycle: StoreLifecycle): Store {
  return Object.assign({}, ...parts, lifecycle) as Store;
}
