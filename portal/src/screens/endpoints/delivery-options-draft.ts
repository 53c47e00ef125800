import type { EndpointInput } from "../../api/portal-api.ts";
import type { Endpoint, HttpMethod } from "../../api/types.ts";

/** The editable delivery options as form text; empty means "the profile's default" (null). */
export interface OptionsDraft {
  method: "" | HttpMethod;
  timeoutMs: string;
  retrySchedule: string;
  retryForever: "" | "true" | "false";
  acceptStatus: "" | "2xx" | "200" | "<400";
  template: string;
  filter: string;
  batch: boolean;
  batchMaxSize: string;
  batchMaxWaitMs: string;
  fifo: boolean;
  watchFields: string;
  readyField: string;
}

export function draftOf(endpoint: Endpoint): OptionsDraft {
  return {
    method: endpoint.method ?? "",
    timeoutMs: endpoint.timeoutMs === null ? "" : String(endpoint.timeoutMs),
    retrySchedule: endpoint.retrySchedule?.join(", ") ?? "",
    retryForever: endpoint.retryForever === null ? "" : endpoint.retryForever ? "true" : "false",
    acceptStatus: endpoint.acceptStatus ?? "",
    template: endpoint.body && "template" in endpoint.body ? endpoint.body.template : "",
    filter: endpoint.filter ? JSON.stringify(endpoint.filter, null, 2) : "",
    batch: endpoint.batch !== null,
    batchMaxSize: String(endpoint.batch?.maxSize ?? 100),
    batchMaxWaitMs: String(endpoint.batch?.maxWaitMs ?? 1000),
    fifo: endpoint.ordering === "fifo",
    watchFields: endpoint.watchFields?.join(", ") ?? "",
    readyField: endpoint.readyField ?? "",
  };
}

export type DraftProblems = Partial<Record<keyof OptionsDraft, "number" | "list" | "json">>;

const list = (text: string) =>
  text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);

function integer(text: string): number | null | "invalid" {
  if (text.trim() === "") return null;
  const value = Number(text);
  return Number.isInteger(value) && value >= 0 ? value : "invalid";
}

export function parseFilter(text: string): Record<string, unknown> | null | "invalid" {
  if (text.trim() === "") return null;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : "invalid";
  } catch {
    return "invalid";
  }
}

/** The PATCH body for the options `editable` names, or the fields whose text does not parse. */
export function toInput(draft: OptionsDraft, editable: (name: string) => boolean): { input: EndpointInput } | { problems: DraftProblems } {
  const problems: DraftProblems = {};
  const input: EndpointInput = {};
  if (editable("method")) input.method = draft.method || null;
  if (editable("timeoutMs")) {
    const timeout = integer(draft.timeoutMs);
    if (timeout === "invalid") problems.timeoutMs = "number";
    else input.timeoutMs = timeout;
  }
  if (editable("retrySchedule")) {
    const delays = list(draft.retrySchedule).map(Number);
    if (delays.some((delay) => !Number.isInteger(delay) || delay < 0)) problems.retrySchedule = "list";
    else input.retrySchedule = delays.length ? delays : null;
  }
  if (editable("retryForever")) input.retryForever = draft.retryForever === "" ? null : draft.retryForever === "true";
  if (editable("acceptStatus")) input.acceptStatus = draft.acceptStatus || null;
  if (editable("body")) input.body = draft.template.trim() ? { template: draft.template } : null;
  if (editable("filter")) {
    const filter = parseFilter(draft.filter);
    if (filter === "invalid") problems.filter = "json";
    else input.filter = filter;
  }
  if (editable("batch")) {
    const maxSize = integer(draft.batchMaxSize);
    const maxWaitMs = integer(draft.batchMaxWaitMs);
    if (draft.batch && (typeof maxSize !== "number" || maxSize < 1)) problems.batchMaxSize = "number";
    else if (draft.batch && typeof maxWaitMs !== "number") problems.batchMaxWaitMs = "number";
    else input.batch = draft.batch ? { maxSize: maxSize as number, maxWaitMs: maxWaitMs as number } : null;
  }
  if (editable("ordering")) input.ordering = draft.fifo ? "fifo" : null;
  if (editable("watchFields")) input.watchFields = list(draft.watchFields).length ? list(draft.watchFields) : null;
  if (editable("readyField")) input.readyField = draft.readyField.trim() || null;
  return Object.keys(problems).length ? { problems } : { input };
}
