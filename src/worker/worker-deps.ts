import type { Logger } from "pino";

import type { ResolvedConfig } from "../config/config.ts";
import type { HttpSender } from "../delivery/http-sender.ts";
import type { Clock } from "../domain/clock.ts";
import type { OperationalEvents } from "../operational/operational-events.ts";
import type { Lease, Store } from "../store/store.ts";

/** What every job handler gets. Built once per worker. */
export interface WorkerDeps {
  store: Store;
  clock: Clock;
  config: ResolvedConfig;
  sender: HttpSender;
  operationalEvents: OperationalEvents;
  logger: Logger;
  /** Jitter source, injectable so retry timing tests are exact. */
  random: () => number;
  workerId: string;
}

/** A claim lasts past the longest request, so a live worker never loses a job it is sending. */
export function leaseFor(deps: WorkerDeps): Lease {
  return { workerId: deps.workerId, now: deps.clock.now(), leaseMs: deps.config.requestTimeoutMs + 30_000 };
}
