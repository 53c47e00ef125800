import type { AcceptStatus, DisablePolicy } from "../domain/delivery-options.ts";
import type { EndpointHealth } from "../store/store.ts";

/** Whether a response status counts as delivered under the endpoint's rule. */
export function isAccepted(rule: AcceptStatus, status: number): boolean {
  switch (rule) {
    case "2xx":
      return status >= 200 && status < 300;
    case "200":
      return status === 200;
    case "<400":
      return status >= 100 && status < 400;
  }
}

/**
 * Whether a failed request disables the endpoint, given its failure counters after this failure.
 * A 410 Gone disables at once unless the policy is `never` (Grist and Frappe keep sending).
 */
export function shouldDisable(policy: DisablePolicy, health: EndpointHealth, now: number, gone: boolean): boolean {
  switch (policy.type) {
    case "never":
      return false;
    case "duration":
      return gone || (health.firstFailureAt !== null && now - health.firstFailureAt >= policy.hours * 3_600_000);
    case "consecutive":
      return gone || health.consecutiveFailures > policy.allowedFailures;
    case "window":
      return gone || health.windowFailures > policy.allowedFailures;
  }
}

/** The `window` policy's gap in ms; the store needs some positive number for the other policies. */
export function failureWindowMs(policy: DisablePolicy): number {
  return policy.type === "window" ? policy.resetAfterSeconds * 1000 : 600_000;
}
