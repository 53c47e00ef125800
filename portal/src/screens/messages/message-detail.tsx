import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";

import { getMessage, listAttemptsByMessage, listDestinations } from "../../api/portal-api.ts";
import type { Attempt } from "../../api/types.ts";
import { livePolling } from "../../api/use-visible-poll.ts";
import { AttemptItem } from "../../components/attempt-item.tsx";
import { Card } from "../../components/card.tsx";
import { CodeBlock } from "../../components/code-block.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { ResendButton } from "../../components/resend-button.tsx";
import { StatusBadge } from "../../components/status-badge.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";

/** A message: its payload, each endpoint it went to, and every attempt's request and response. */
export function MessageDetail({ msgId }: { msgId: string }) {
  const { t, formatDateTime, isSingular } = useI18n();
  const message = useQuery({ queryKey: ["message", msgId], queryFn: () => getMessage(msgId) });
  const destinations = useQuery({ queryKey: ["message", msgId, "destinations"], queryFn: () => listDestinations(msgId), ...livePolling });
  const attempts = useQuery({ queryKey: ["attempts", "message", msgId], queryFn: () => listAttemptsByMessage(msgId), ...livePolling });
  const byEndpoint = new Map<string, Attempt[]>();
  for (const attempt of attempts.data?.data ?? []) byEndpoint.set(attempt.endpointId, [...(byEndpoint.get(attempt.endpointId) ?? []), attempt]);
  // The attempts listed, resends included (the destination's attemptCount counts scheduled ones only).
  const attemptCount = (endpointId: string, scheduled: number) => {
    const count = byEndpoint.get(endpointId)?.length ?? scheduled;
    return t(isSingular(count) ? "messages.attemptCountOne" : "messages.attemptCount", { count });
  };

  if (!message.data) {
    return <section className="detail-pane">{message.isPending ? <p role="status">{t("common.loading")}</p> : <ErrorNotice error={message.error} />}</section>;
  }
  const data = message.data;
  return (
    <section className="detail-pane" aria-labelledby="message-heading">
      <header className="endpoint-header">
        <div className="endpoint-title">
          <Link href="/messages" className="back-link">
            {t("messages.back")}
          </Link>
          <h1 id="message-heading">
            <code>{data.eventType}</code>
          </h1>
          <dl className="facts facts-inline">
            <div>
              <dt>{t("messages.id")}</dt>
              <dd className="mono break">{data.id}</dd>
            </div>
            {data.eventId && (
              <div>
                <dt>{t("messages.eventId")}</dt>
                <dd className="mono break">{data.eventId}</dd>
              </div>
            )}
            <div>
              <dt>{t("messages.created")}</dt>
              <dd>{formatDateTime(data.timestamp)}</dd>
            </div>
            {data.channels && data.channels.length > 0 && (
              <div>
                <dt>{t("messages.channels")}</dt>
                <dd className="mono">{data.channels.join(", ")}</dd>
              </div>
            )}
            {data.tags && data.tags.length > 0 && (
              <div>
                <dt>{t("messages.tags")}</dt>
                <dd className="mono">{data.tags.join(", ")}</dd>
              </div>
            )}
          </dl>
        </div>
      </header>
      <div className="stack">
        <Card title={t("messages.payload")}>
          <CodeBlock value={data.payload} label={t("messages.payload")} />
        </Card>
        <Card title={t("messages.destinations")}>
          <ErrorNotice error={destinations.error ?? attempts.error} />
          {destinations.isSuccess && destinations.data.data.length === 0 && <p className="muted">{t("messages.noDestinations")}</p>}
          <ul className="destination-list">
            {(destinations.data?.data ?? []).map((destination) => (
              <li key={destination.id} className="destination">
                <header className="destination-header">
                  <div>
                    <Link href={`/endpoints/${destination.id}`} className="mono break">
                      {destination.url}
                    </Link>
                    <p className="item-meta">
                      <StatusBadge status={destination.status} />
                      <span className="muted small">
                        {attemptCount(destination.id, destination.attemptCount)}
                        {destination.nextAttempt ? ` · ${t("messages.nextAttempt", { time: formatDateTime(destination.nextAttempt) })}` : ""}
                      </span>
                    </p>
                  </div>
                  <ResendButton msgId={data.id} endpointId={destination.id} />
                </header>
                <ul className="attempt-list">
                  {(byEndpoint.get(destination.id) ?? []).map((attempt) => (
                    <AttemptItem key={attempt.id} attempt={attempt} showResend={false} />
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </Card>
      </div>
    </section>
  );
}
