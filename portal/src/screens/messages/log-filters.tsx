import { useQuery } from "@tanstack/react-query";

import { useEventTypes } from "../../api/catalog-queries.ts";
import { listEndpoints } from "../../api/portal-api.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Field } from "../../components/field.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { type LogFilter, TIME_PRESETS, type TimePreset } from "./message-filter.ts";

const STATUSES = [
  ["0", "status.success"],
  ["1", "status.pending"],
  ["2", "status.fail"],
  ["3", "status.sending"],
] as const;
const CODE_CLASSES = ["0", "100", "200", "300", "400", "500"] as const;

/** The log's filters; status and response class apply to one endpoint's deliveries. */
export function LogFilters({ filter, onChange }: { filter: LogFilter; onChange: (filter: LogFilter) => void }) {
  const t = useT();
  const { settings } = usePortal();
  const eventTypes = useEventTypes();
  const endpoints = useQuery({ queryKey: ["endpoints", "all-for-filter"], queryFn: () => listEndpoints(null) });
  const set = <K extends keyof LogFilter>(name: K, value: LogFilter[K]) => onChange({ ...filter, [name]: value });
  const perEndpoint = filter.endpointId !== "";

  return (
    <form className="filters" role="search" aria-label={t("messages.filters")} onSubmit={(event) => event.preventDefault()}>
      <Field label={t("messages.eventType")}>
        {(control) => (
          <select {...control} className="input" value={filter.eventType} onChange={(event) => set("eventType", event.target.value)}>
            <option value="">{t("messages.allEventTypes")}</option>
            {(eventTypes.data ?? []).map((eventType) => (
              <option key={eventType.name} value={eventType.name}>
                {eventType.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("messages.endpoint")}>
        {(control) => (
          <select
            {...control}
            className="input"
            value={filter.endpointId}
            onChange={(event) => onChange({ ...filter, endpointId: event.target.value, status: event.target.value ? filter.status : "", statusCodeClass: event.target.value ? filter.statusCodeClass : "" })}
          >
            <option value="">{t("messages.allEndpoints")}</option>
            {(endpoints.data?.data ?? []).map((endpoint) => (
              <option key={endpoint.id} value={endpoint.id}>
                {endpoint.description || endpoint.url}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("messages.status")} hint={perEndpoint ? undefined : t("messages.statusNeedsEndpoint")}>
        {(control) => (
          <select {...control} className="input" disabled={!perEndpoint} value={filter.status} onChange={(event) => set("status", event.target.value)}>
            <option value="">{t("messages.anyStatus")}</option>
            {STATUSES.map(([value, key]) => (
              <option key={value} value={value}>
                {t(key)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("messages.statusCodeClass")}>
        {(control) => (
          <select {...control} className="input" disabled={!perEndpoint} value={filter.statusCodeClass} onChange={(event) => set("statusCodeClass", event.target.value)}>
            <option value="">{t("messages.anyCode")}</option>
            {CODE_CLASSES.map((value) => (
              <option key={value} value={value}>
                {value === "0" ? t("attempts.noResponse") : `${value[0]}xx`}
              </option>
            ))}
          </select>
        )}
      </Field>
      {settings.enableChannels !== false && (
        <Field label={t("messages.channel")}>
          {(control) => <input {...control} className="input mono" value={filter.channel} onChange={(event) => set("channel", event.target.value.trim())} />}
        </Field>
      )}
      {settings.enableMessageTags !== false && !perEndpoint && (
        <Field label={t("messages.tag")}>
          {(control) => <input {...control} className="input mono" value={filter.tag} onChange={(event) => set("tag", event.target.value.trim())} />}
        </Field>
      )}
      <Field label={t("messages.time")}>
        {(control) => (
          <select {...control} className="input" value={filter.time} onChange={(event) => set("time", event.target.value as TimePreset)}>
            {TIME_PRESETS.map((entry) => (
              <option key={entry.preset} value={entry.preset}>
                {t(entry.key)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {filter.time === "custom" && (
        <>
          <Field label={t("messages.after")}>
            {(control) => <input {...control} type="datetime-local" className="input" value={filter.after} onChange={(event) => set("after", event.target.value)} />}
          </Field>
          <Field label={t("messages.before")}>
            {(control) => <input {...control} type="datetime-local" className="input" value={filter.before} onChange={(event) => set("before", event.target.value)} />}
          </Field>
        </>
      )}
    </form>
  );
}
