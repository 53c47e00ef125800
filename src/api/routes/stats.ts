import { type Static, Type } from "@sinclair/typebox";

import type { AttemptCounts, StatsSpanMs } from "../../domain/attempt-stats.ts";
import { bucketStart, emptyCounts, FIVE_MINUTES_MS, HOUR_MS, latencyPercentile } from "../../domain/attempt-stats.ts";
import { DAY_MS } from "../../domain/retention.ts";
import type { AttemptStats } from "../../store/store.ts";
import type { Api, ApiContext } from "../context.ts";
import { requireApp } from "../context.ts";
import { FieldError, notFound } from "../errors.ts";
import { splitList } from "../pagination.ts";
import { AppParams, Nullable } from "../schemas/common.ts";

const tags = ["Statistics"];

/**
 * Each period: its length, the rows it is summed from (FiveMinutes from the 5-minute rows, the
 * others from the hour rows), the window a request without startDate gets, and the most buckets
 * a window may have. The caps bound what one request reads to about 2,200 rows per endpoint:
 * 7 days of 5 minutes, 90 days of hours or of days (90 days is the default retention).
 */
const PERIODS = {
  FiveMinutes: { ms: FIVE_MINUTES_MS, spanMs: FIVE_MINUTES_MS, defaultWindowMs: DAY_MS, maxBuckets: 2016, maxWindow: "7 days" },
  OneHour: { ms: HOUR_MS, spanMs: HOUR_MS, defaultWindowMs: DAY_MS, maxBuckets: 2160, maxWindow: "90 days" },
  OneDay: { ms: DAY_MS, spanMs: HOUR_MS, defaultWindowMs: 7 * DAY_MS, maxBuckets: 90, maxWindow: "90 days" },
} as const satisfies Record<string, { ms: number; spanMs: StatsSpanMs; defaultWindowMs: number; maxBuckets: number; maxWindow: string }>;
type Period = keyof typeof PERIODS;

const StatisticsPeriod = Type.Union([Type.Literal("OneDay"), Type.Literal("OneHour"), Type.Literal("FiveMinutes")], {
  description: "Period length for a statistics data point.",
});

const StatsQuery = Type.Object({
  startDate: Type.Optional(
    Nullable(
      Type.String({
        format: "date-time",
        description:
          "Filter the range to data starting from this date. Floored to the period (UTC). Default: 24 hours before endDate (7 days for OneDay).",
      }),
    ),
  ),
  endDate: Type.Optional(Nullable(Type.String({ format: "date-time", description: "Filter the range to data ending by this date. Default: now." }))),
  period: Type.Optional(Nullable(Type.Union(StatisticsPeriod.anyOf, { description: "The period to aggregate the data by. Default: OneDay." }))),
  event_types: Type.Optional(
    Nullable(
      Type.Array(Type.String({ maxLength: 256 }), {
        description: "Filter response based on the event type. Not supported by Herald, whose statistics are kept per endpoint: a request with it gets 422.",
      }),
    ),
  ),
  endpointId: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: "Herald extension: only this endpoint's attempts (its id or uid)." }),
  ),
});

const Percentile = (quantile: string) => Nullable(Type.Number({ description: `${quantile} response time in ms; null without attempts.` }));

const AttemptStatisticsResponse = Type.Object(
  {
    startDate: Type.String({ format: "date-time", description: "Start of the first bucket: startDate floored to the period." }),
    endDate: Type.String({ format: "date-time", description: "End of the last bucket (exclusive); buckets are whole, so this is at or after the endDate asked." }),
    period: StatisticsPeriod,
    data: Type.Object(
      {
        successCount: Type.Array(Type.Integer()),
        failureCount: Type.Array(Type.Integer()),
        canceledCount: Type.Array(Type.Integer({ description: "Attempts whose endpoint transformation canceled the message (no request made)." })),
      },
      { description: "Attempts per bucket, by outcome; bucket i covers [startDate + i·period, startDate + (i+1)·period)." },
    ),
    latency: Type.Object(
      { p50: Type.Array(Percentile("Median")), p90: Type.Array(Percentile("90th percentile")), p99: Type.Array(Percentile("99th percentile")) },
      {
        description:
          "Herald extension: response-time percentiles per bucket, over the successful and failed attempts (canceled ones made no request; a failure before any request counts as 0 ms). " +
          "Read from a histogram whose bins are 1 ms wide below 4 ms and then grow by a factor of √2: a value lies in the same bin as the true percentile.",
      },
    ),
    endpoints: Type.Array(
      Type.Object({
        endpointId: Type.String(),
        successCount: Type.Integer(),
        failureCount: Type.Integer(),
        canceledCount: Type.Integer(),
        p50: Percentile("Median"),
        p90: Percentile("90th percentile"),
        p99: Percentile("99th percentile"),
      }),
      { description: "Herald extension: totals over the whole window per endpoint that had attempts in it, by endpoint id." },
    ),
  },
  { description: "Attempt statistics (Svix's AttemptStatisticsResponse) plus Herald's latency and per-endpoint extensions." },
);

type StatsQueryIn = Static<typeof StatsQuery>;

interface StatsWindow {
  period: Period;
  since: number;
  buckets: number;
}

function parseDate(value: string | null | undefined, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new FieldError(["querystring", field], `${field} is not a date-time`);
  return at;
}

/** The buckets a request covers: from startDate floored to the period, whole buckets up to endDate. */
function statsWindow(query: StatsQueryIn, now: number): StatsWindow {
  const period: Period = query.period ?? "OneDay";
  const { ms, defaultWindowMs, maxBuckets, maxWindow } = PERIODS[period];
  const end = parseDate(query.endDate, "endDate") ?? now;
  const start = parseDate(query.startDate, "startDate") ?? end - defaultWindowMs;
  if (end <= start) throw new FieldError(["querystring", "endDate"], "endDate must be after startDate");
  const since = bucketStart(start, ms);
  const buckets = Math.ceil((end - since) / ms);
  if (buckets > maxBuckets) {
    throw new FieldError(
      ["querystring", "startDate"],
      `A ${period} window holds at most ${maxBuckets} buckets (${maxWindow}); this one would hold ${buckets}. Shorten it or use a longer period.`,
    );
  }
  return { period, since, buckets };
}

function percentiles(counts: AttemptCounts) {
  return { p50: latencyPercentile(counts.latency, 0.5), p90: latencyPercentile(counts.latency, 0.9), p99: latencyPercentile(counts.latency, 0.99) };
}

function statisticsOut(window: StatsWindow, stats: AttemptStats): Static<typeof AttemptStatisticsResponse> {
  const periodMs = PERIODS[window.period].ms;
  const series = Array.from({ length: window.buckets }, () => emptyCounts());
  for (const entry of stats.byPeriod) {
    const index = (entry.start - window.since) / periodMs;
    if (Number.isInteger(index) && index >= 0 && index < series.length) series[index] = entry;
  }
  const latency = series.map(percentiles);
  return {
    startDate: new Date(window.since).toISOString(),
    endDate: new Date(window.since + window.buckets * periodMs).toISOString(),
    period: window.period,
    data: {
      successCount: series.map((counts) => counts.success),
      failureCount: series.map((counts) => counts.failure),
      canceledCount: series.map((counts) => counts.canceled),
    },
    latency: { p50: latency.map((l) => l.p50), p90: latency.map((l) => l.p90), p99: latency.map((l) => l.p99) },
    endpoints: stats.byEndpoint.map((entry) => ({
      endpointId: entry.endpointId,
      successCount: entry.success,
      failureCount: entry.failure,
      canceledCount: entry.canceled,
      ...percentiles(entry),
    })),
  };
}

/**
 * Svix's attempt statistics of an application, for charts (the portal's Activity screen). They
 * are read from per-endpoint counts kept as attempts are recorded (src/domain/attempt-stats.ts),
 * so a window costs its number of buckets and endpoints, whatever the number of attempts.
 */
export async function statsRoutes(app: Api, context: ApiContext): Promise<void> {
  app.get(
    "/api/v1/stats/app/:app_id/attempt",
    {
      schema: {
        tags,
        operationId: "v1.stats.app-attempts",
        summary: "Get App Attempt Stats",
        description: "Returns application-level statistics on message attempts.",
        params: AppParams,
        querystring: StatsQuery,
        response: { 200: AttemptStatisticsResponse },
      },
      config: { access: "app" },
    },
    async (request) => {
      const application = await requireApp(context, request, request.params.app_id);
      const query = request.query;
      if (splitList(query.event_types ?? undefined)) {
        throw new FieldError(["querystring", "event_types"], "Herald keeps attempt statistics per endpoint, not per event type: event_types is not supported here");
      }
      const window = statsWindow(query, context.clock.now());
      let endpointId: string | undefined;
      if (query.endpointId !== undefined) {
        const endpoint = await context.store.getEndpoint(application.id, query.endpointId);
        if (!endpoint) throw notFound("Endpoint");
        endpointId = endpoint.id;
      }
      const { ms, spanMs } = PERIODS[window.period];
      const stats = await context.store.getAttemptStats(application.id, {
        since: window.since,
        until: window.since + window.buckets * ms,
        spanMs,
        periodMs: ms,
        endpointId,
      });
      return statisticsOut(window, stats);
    },
  );
}
