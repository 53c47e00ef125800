import { useState } from "react";

import { useEventTypes } from "../../api/catalog-queries.ts";
import { Field } from "../../components/field.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { exampleOf } from "../catalog/example-of.ts";

export interface Sample {
  eventType: string;
  payloadText: string;
}

export function parseSample(sample: Sample): unknown | "invalid" {
  try {
    return JSON.parse(sample.payloadText) as unknown;
  } catch {
    return "invalid";
  }
}

/** A payload to test against: an event type's example, which can be edited or replaced by a paste. */
export function useSample(): [Sample, (sample: Sample) => void] {
  const eventTypes = useEventTypes();
  const [sample, setSample] = useState<Sample | null>(null);
  const first = eventTypes.data?.[0];
  const fallback: Sample = { eventType: first?.name ?? "test.event", payloadText: JSON.stringify(exampleOf(first?.schemas ?? null), null, 2) };
  return [sample ?? fallback, setSample];
}

export function SamplePayload({ sample, onChange, label }: { sample: Sample; onChange: (sample: Sample) => void; label: string }) {
  const t = useT();
  const eventTypes = useEventTypes();
  const invalid = parseSample(sample) === "invalid";
  return (
    <div className="sample">
      <Field label={t("sample.eventType")} hint={t("sample.eventTypeHint")}>
        {(control) => (
          <select
            {...control}
            className="input"
            value={sample.eventType}
            onChange={(event) => {
              const eventType = eventTypes.data?.find((candidate) => candidate.name === event.target.value);
              onChange({ eventType: event.target.value, payloadText: JSON.stringify(exampleOf(eventType?.schemas ?? null), null, 2) });
            }}
          >
            {(eventTypes.data ?? []).map((eventType) => (
              <option key={eventType.name} value={eventType.name}>
                {eventType.name}
              </option>
            ))}
            {!eventTypes.data?.some((eventType) => eventType.name === sample.eventType) && <option value={sample.eventType}>{sample.eventType}</option>}
          </select>
        )}
      </Field>
      <Field label={label} error={invalid ? t("sample.invalidJson") : null}>
        {(control) => (
          <textarea
            {...control}
            className="input mono"
            rows={6}
            spellCheck={false}
            value={sample.payloadText}
            onChange={(event) => onChange({ ...sample, payloadText: event.target.value })}
          />
        )}
      </Field>
    </div>
  );
}
