import { useQuery } from "@tanstack/react-query";

import { attemptStats, getEndpointStats } from "../../api/portal-api.ts";
import { livePolling } from "../../api/use-visible-poll.ts";
import { ActivityChart } from "../../charts/activity-chart.tsx";
import { Card } from "../../components/card.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";
import { DAY_MS } from "./endpoint-health.ts";

/** Delivery stats (Svix's success/pending/sending/fail/canceled) and the last 24 hours as a chart. */
export function EndpointStatsCard({ endpointId }: { endpointId: string }) {
  const { t, formatNumber } = useI18n();
  const counts = useQuery({ queryKey: ["endpoint-stats", endpointId], queryFn: () => getEndpointStats(endpointId), ...livePolling });
  const series = useQuery({
    queryKey: ["stats", "endpoint", endpointId],
    queryFn: () => {
      const end = new Date();
      return attemptStats(new Date(end.getTime() - DAY_MS), end, "OneHour", endpointId);
    },
    ...livePolling,
    retry: false,
  });
  const labels = [
    ["success", t("status.success")],
    ["pending", t("status.pending")],
    ["sending", t("status.sending")],
    ["fail", t("status.fail")],
    ["canceled", t("status.canceled")],
  ] as const;

  return (
    <Card title={t("stats.title")}>
      <ErrorNotice error={counts.error} />
      {counts.data && (
        <dl className="stat-tiles" aria-describedby={`stats-messages-${endpointId}`}>
          {labels.map(([key, label]) => (
            <div key={key} className={`stat-tile stat-${key}`}>
              <dt>{label}</dt>
              <dd>{formatNumber(counts.data[key])}</dd>
            </div>
          ))}
        </dl>
      )}
      <p id={`stats-messages-${endpointId}`} className="muted small">
        {t("stats.messagesNote")}
      </p>
      {series.data && (
        <>
          <h3 className="chart-title">{t("stats.attemptsTitle")}</h3>
          <ActivityChart stats={series.data} kind="volume" />
        </>
      )}
    </Card>
  );
}
