import type { MessageKey } from "../../i18n/i18n-context.tsx";

export type TimePreset = "any" | "1h" | "24h" | "7d" | "30d" | "custom";

export const TIME_PRESETS: { preset: TimePreset; key: MessageKey; ms?: number }[] = [
  { preset: "any", key: "messages.timeAny" },
  { preset: "1h", key: "messages.time1h", ms: 3_600_000 },
  { preset: "24h", key: "messages.time24h", ms: 86_400_000 },
  { preset: "7d", key: "messages.time7d", ms: 7 * 86_400_000 },
  { preset: "30d", key: "messages.time30d", ms: 30 * 86_400_000 },
  { preset: "custom", key: "messages.timeCustom" },
];

export interface LogFilter {
  eventType: string;
  endpointId: string;
  status: string;
  statusCodeClass: string;
  channel: string;
  tag: string;
  time: TimePreset;
  after: string;
  before: string;
}

export const EMPTY_FILTER: LogFilter = {
  eventType: "",
  endpointId: "",
  status: "",
  statusCodeClass: "",
  channel: "",
  tag: "",
  time: "any",
  after: "",
  before: "",
};

/** The window a filter asks for, as ISO strings (presets are counted back from now). */
export function timeWindow(filter: LogFilter, now: number): { after?: string; before?: string } {
  if (filter.time === "custom") {
    return {
      after: filter.after ? new Date(filter.after).toISOString() : undefined,
      before: filter.before ? new Date(filter.before).toISOString() : undefined,
    };
  }
  const preset = TIME_PRESETS.find((entry) => entry.preset === filter.time);
  return preset?.ms ? { after: new Date(now - preset.ms).toISOString() } : {};
}
