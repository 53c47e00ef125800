import { ApiError } from "../api/api-error.ts";
import { exchangeOneTimeToken } from "../api/portal-api.ts";
import type { SignedOutReason } from "./login-pages.tsx";
import type { Session } from "./session.ts";

export type ExchangeResult = { session: Session } | { reason: SignedOutReason; returnUrl: string | null };

const pending = new Map<string, Promise<ExchangeResult>>();

/**
 * Trades the link's one-time key for a session, once per key even if asked twice (React's strict
 * mode runs effects twice; a second POST would find the key used).
 */
export function exchangeOnce(oneTimeToken: string): Promise<ExchangeResult> {
  let exchange = pending.get(oneTimeToken);
  if (!exchange) {
    exchange = exchangeOneTimeToken(oneTimeToken).then(
      (answer): ExchangeResult => ({ session: answer }),
      (error: unknown): ExchangeResult => {
        const body = error instanceof ApiError ? (error.body as { returnUrl?: unknown } | null) : null;
        const returnUrl = typeof body?.returnUrl === "string" ? body.returnUrl : null;
        if (error instanceof ApiError && error.code === "link_used") return { reason: "link-used", returnUrl };
        if (error instanceof ApiError && error.code === "link_expired") return { reason: "link-expired", returnUrl };
        return { reason: "link-invalid", returnUrl };
      },
    );
    pending.set(oneTimeToken, exchange);
  }
  return exchange;
}
