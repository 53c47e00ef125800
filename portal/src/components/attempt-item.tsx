import { Link } from "wouter";

import type { Attempt } from "../api/types.ts";
import { useI18n } from "../i18n/i18n-context.tsx";
import { CodeBlock } from "./code-block.tsx";
import { ResendButton } from "./resend-button.tsx";
import { HttpStatus, StatusBadge } from "./status-badge.tsx";

/**
 * One attempt: a summary that opens (native <details>, keyboard-operable) onto the request exactly as
 * sent (headers as the API shows them, sensitive ones redacted; body) and the response.
 */
export function AttemptItem({ attempt, showMessageLink, showResend = true }: { attempt: Attempt; showMessageLink?: boolean; showResend?: boolean }) {
  const { t, formatDateTime, formatNumber } = useI18n();
  const trigger = attempt.triggerType === 1 ? t("attempts.manual") : t("attempts.scheduled");
  return (
    <li className="attempt">
      <details>
        <summary>
          <StatusBadge status={attempt.status} />
          <HttpStatus code={attempt.responseStatusCode} />
          <span className="small">{formatDateTime(attempt.timestamp)}</span>
          <span className="muted small">
            {t("attempts.summary", { number: attempt.attemptNumber, duration: formatNumber(attempt.responseDurationMs), trigger })}
          </span>
          <span className="muted small mono">{attempt.msgId}</span>
        </summary>
        <div className="attempt-body">
          <div className="attempt-side">
            <h3>{t("attempts.request")}</h3>
            <p className="mono small break">
              {attempt.request.method} {attempt.request.url}
            </p>
            <table className="kv">
              <caption className="visually-hidden">{t("attempts.requestHeaders")}</caption>
              <tbody>
                {Object.entries(attempt.request.headers).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row" className="mono">
                      {name}
                    </th>
                    <td className="mono break">{value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <CodeBlock value={attempt.request.body} label={t("attempts.requestBody")} />
          </div>
          <div className="attempt-side">
            <h3>{t("attempts.response")}</h3>
            <p className="small">
              <HttpStatus code={attempt.responseStatusCode} /> · {t("attempts.duration", { ms: formatNumber(attempt.responseDurationMs) })} · {trigger}
            </p>
            <CodeBlock value={attempt.response} label={t("attempts.responseBody")} />
          </div>
          <div className="button-row">
            {showResend && <ResendButton msgId={attempt.msgId} endpointId={attempt.endpointId} />}
            {showMessageLink && (
              <Link href={`/messages/${attempt.msgId}`} className="btn btn-ghost">
                {t("attempts.openMessage")}
              </Link>
            )}
          </div>
        </div>
      </details>
    </li>
  );
}
