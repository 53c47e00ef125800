import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";

import { attemptStats, listEndpoints } from "../../api/portal-api.ts";
import type { StatsPeriod } from "../../api/types.ts";
import { livePolling } from "../../api/use-visible-poll.ts";
import { ActivityChart } from "../../charts/activity-chart.tsx";
import { totals } from "../../charts/series.ts";
import { Card } from "../../components/card.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";

type Range = "24h" | "7d";
const RANGES: Record<Range, { ms: number; period: StatsPeriod }> = {
  "24h": { ms: 86_400_000, period: "OneHour" },
  "7d": { ms: 7 * 86_400_000, period: "OneDay" },
};

/** Volume, success rate and latency over 24 hours or 7 days, app-wide or for one endpoint. */
export function ActivityPage() {
  const { t, formatNumber, formatPercent } = useI18n();
  const [range, setRange] = useState<Range>("24h");
  const [endpointId, setEndpointId] = useState("");
  const endpoints = useQuery({ queryKey: ["endpoints", "all-for-filter"], queryFn: () => listEndpoints(null) });
  const stats = useQuery({
    queryKey: ["stats", "activity", range, endpointId],
    queryFn: () => {
      const end = new Date();
      return attemptStats(new Date(end.getTime() - RANGES[range].ms), end, RANGES[range].period, endpointId || undefined);
    },
    ...livePolling,
    retry: false,
  });
  const sum = stats.data ? totals(stats.data) : null;
  const urlOf = (id: string) => endpoints.data?.data.find((endpoint) => endpoint.id === id)?.url ?? id;

  return (
    <section className="page" aria-labelledby="activity-heading">
      <header className="page-header">
        <h1 id="activity-heading">{t("activity.title")}</h1>
        <div className="segmented" role="group" aria-label={t("activity.range")}>
          {(["24h", "7d"] as const).map((option) => (
            <button key={option} type="button" className="btn btn-small" aria-pressed={range === option} onClick={() => setRange(option)}>
              {t(option === "24h" ? "activity.last24h" : "activity.last7d")}
            </button>
          ))}
        </div>
      </header>
      <div className="field-inline-row">
        <Field label={t("activity.endpoint")}>
          {(control) => (
            <select {...control} className="input" value={endpointId} onChange={(event) => setEndpointId(event.target.value)}>
              <option value="">{t("activity.allEndpoints")}</option>
              {(endpoints.data?.data ?? []).map((endpoint) => (
                <option key={endpoint.id} value={endpoint.id}>
                  {endpoint.description || endpoint.url}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorNotice error={stats.error} />
      {sum && (
        <dl className="stat-tiles">
          <div className="stat-tile stat-success">
            <dt>{t("status.success")}</dt>
            <dd>{formatNumber(sum.success)}</dd>
          </div>
          <div className="stat-tile stat-fail">
            <dt>{t("status.fail")}</dt>
            <dd>{formatNumber(sum.failure)}</dd>
          </div>
          <div className="stat-tile stat-canceled">
            <dt>{t("status.canceled")}</dt>
            <dd>{formatNumber(sum.canceled)}</dd>
          </div>
          <div className="stat-tile">
            <dt>{t("activity.successRate")}</dt>
            <dd>{sum.rate === null ? "—" : formatPercent(sum.rate)}</dd>
          </div>
        </dl>
      )}
      {stats.data && (
        <div className="stack">
          <Card title={t("activity.volume")}>
            <ActivityChart stats={stats.data} kind="volume" />
          </Card>
          <Card title={t("activity.successRate")}>
            <ActivityChart stats={stats.data} kind="successRate" />
          </Card>
          <Card title={t("activity.latency")}>
            <ActivityChart stats={stats.data} kind="latency" />
          </Card>
          {!endpointId && stats.data.endpoints && stats.data.endpoints.length > 0 && (
            <Card title={t("activity.perEndpoint")}>
              <table className="table stacked">
                <thead>
                  <tr>
                    <th scope="col">{t("activity.endpoint")}</th>
                    <th scope="col">{t("status.success")}</th>
                    <th scope="col">{t("status.fail")}</th>
                    <th scope="col">{t("activity.successRate")}</th>
                    <th scope="col">p50</th>
                    <th scope="col">p99</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.data.endpoints.map((entry) => {
                    const finished = entry.successCount + entry.failureCount;
                    const ms = (value: number | null) => (value === null ? "—" : `${formatNumber(value)} ms`);
                    return (
                      <tr key={entry.endpointId}>
                        <td data-label={t("activity.endpoint")} className="mono break">
                          <Link href={`/endpoints/${entry.endpointId}`}>{urlOf(entry.endpointId)}</Link>
                        </td>
                        <td data-label={t("status.success")}>{formatNumber(entry.successCount)}</td>
                        <td data-label={t("status.fail")}>{formatNumber(entry.failureCount)}</td>
                        <td data-label={t("activity.successRate")}>{finished ? formatPercent(entry.successCount / finished) : "—"}</td>
                        <td data-label="p50">{ms(entry.p50)}</td>
                        <td data-label="p99">{ms(entry.p99)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </Card>
          )}
        </div>
      )}
    </section>
  );
}
