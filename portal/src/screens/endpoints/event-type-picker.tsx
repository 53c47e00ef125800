import type { EventType } from "../../api/types.ts";
import { useT } from "../../i18n/i18n-context.tsx";
import { groupEventTypes } from "./event-type-groups.ts";

interface PickerProps {
  eventTypes: EventType[];
  /** null: every event type. */
  value: string[] | null;
  onChange: (value: string[] | null) => void;
}

/**
 * Event types from the catalogue grouped by prefix; a group can be taken whole as its wildcard
 * (`invoice.*`, which also covers types added to it later). None chosen means every event.
 */
export function EventTypePicker({ eventTypes, value, onChange }: PickerProps) {
  const t = useT();
  const selected = value ?? [];
  const groups = groupEventTypes(eventTypes);
  const toggle = (name: string, on: boolean) => {
    const next = on ? [...selected, name] : selected.filter((entry) => entry !== name);
    onChange(next);
  };
  const custom = selected.filter((entry) => !eventTypes.some((eventType) => eventType.name === entry) && !groups.some((group) => group.wildcard === entry));

  return (
    <fieldset className="picker">
      <legend>{t("form.eventTypes")}</legend>
      <div className="radio-row">
        <label>
          <input type="radio" name="event-scope" checked={value === null} onChange={() => onChange(null)} />
          {t("form.allEvents")}
        </label>
        <label>
          <input type="radio" name="event-scope" checked={value !== null} onChange={() => onChange(selected)} />
          {t("form.someEvents")}
        </label>
      </div>
      {value !== null && (
        <div className="picker-groups">
          {groups.length === 0 && <p className="muted">{t("form.noEventTypes")}</p>}
          {groups.map((group) => {
            const whole = selected.includes(group.wildcard);
            return (
              <fieldset key={group.prefix} className="picker-group">
                <legend className="mono">{group.prefix}</legend>
                <label className="check">
                  <input type="checkbox" checked={whole} onChange={(event) => toggle(group.wildcard, event.target.checked)} />
                  <span>
                    {t("form.wholeGroup", { group: group.prefix })} <code>{group.wildcard}</code>
                  </span>
                </label>
                {group.eventTypes.map((eventType) => (
                  <label key={eventType.name} className="check check-indent">
                    <input
                      type="checkbox"
                      disabled={whole}
                      checked={whole || selected.includes(eventType.name)}
                      onChange={(event) => toggle(eventType.name, event.target.checked)}
                    />
                    <span>
                      <code>{eventType.name}</code>
                      {eventType.description && <span className="muted small"> — {eventType.description}</span>}
                    </span>
                  </label>
                ))}
              </fieldset>
            );
          })}
          {custom.length > 0 && (
            <p className="small">
              {t("form.otherSubscriptions")} <code>{custom.join(", ")}</code>
            </p>
          )}
          {selected.length === 0 && <p className="field-error">{t("form.pickOne")}</p>}
        </div>
      )}
    </fieldset>
  );
}
