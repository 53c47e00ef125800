import { useMemo } from "react";

import type { AttemptStats } from "../api/types.ts";
import { useI18n } from "../i18n/i18n-context.tsx";
import { LazyTimeChart } from "./lazy-time-chart.tsx";
import { bucketTimes, firstBucket, totals } from "./series.ts";
import type { ChartSeries } from "./time-chart.tsx";

type Kind = "volume" | "successRate" | "latency";

/**
 * Volume, success rate or latency per bucket of an attempt-stats answer, with a text summary.
 * The chart is rebuilt only when its buckets or values change: polling answers whose counts are
 * unchanged keep their arrays (TanStack Query's structural sharing), so the memos below hold.
 */
export function ActivityChart({ stats, kind }: { stats: AttemptStats; kind: Kind }) {
  const { t, language, formatNumber, formatPercent, formatTime, formatDateTime } = useI18n();
  const { data, latency, period } = stats;
  const first = firstBucket(stats.startDate, period);
  const count = data.successCount.length;
  const times = useMemo(() => bucketTimes(first, period, count), [first, period, count]);
  const series = useMemo((): ChartSeries[] => {
    const { successCount, failureCount, canceledCount } = data;
    if (kind === "volume")
      return [
        { label: t("status.success"), values: successCount, color: "--chart-success", kind: "bars" },
        { label: t("status.fail"), values: failureCount, color: "--chart-fail", kind: "bars" },
        { label: t("status.canceled"), values: canceledCount, color: "--chart-canceled", kind: "bars" },
      ];
    if (kind === "successRate")
      return [
        {
          label: t("activity.successRate"),
          values: successCount.map((success, index) => {
            const finished = success + failureCount[index];
            return finished === 0 ? null : (100 * success) / finished;
          }),
          color: "--chart-success",
          kind: "line",
        },
      ];
    const percentiles = latency ?? { p50: [], p90: [], p99: [] };
    return [
      { label: "p50", values: percentiles.p50, color: "--chart-p50", kind: "line" },
      { label: "p90", values: percentiles.p90, color: "--chart-p90", kind: "line" },
      { label: "p99", values: percentiles.p99, color: "--chart-p99", kind: "line" },
    ];
  }, [data, latency, kind, t]);
  const sum = totals(stats);
  const summary = t("charts.summary", {
    start: formatDateTime(stats.startDate),
    end: formatDateTime(stats.endDate),
    success: formatNumber(sum.success),
    failure: formatNumber(sum.failure),
    rate: sum.rate === null ? "—" : formatPercent(sum.rate),
  });
  const daily = period === "OneDay";
  const formatValue = useMemo(() => {
    const unit = kind === "successRate" ? " %" : kind === "latency" ? " ms" : "";
    return (value: number) => `${formatNumber(value, { maximumFractionDigits: 0 })}${unit}`;
  }, [kind, formatNumber]);
  const formatSeconds = useMemo(() => {
    const day = new Intl.DateTimeFormat(language === "fr" ? "fr-FR" : "en-GB", { day: "numeric", month: "short" });
    return (seconds: number) => (daily ? day.format(seconds * 1000) : formatTime(seconds * 1000));
  }, [daily, language, formatTime]);
  return <LazyTimeChart times={times} series={series} label={summary} timeLabel={t("charts.time")} formatValue={formatValue} formatTime={formatSeconds} />;
}
