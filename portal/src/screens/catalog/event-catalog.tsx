import { useState } from "react";

import { useEventTypes } from "../../api/catalog-queries.ts";
import { CodeBlock } from "../../components/code-block.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Badge } from "../../components/status-badge.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { groupEventTypes } from "../endpoints/event-type-groups.ts";
import { exampleOf, newestSchema } from "./example-of.ts";

/** The event catalogue: every event type by group, with its description, JSON Schema and example. */
export function EventCatalog() {
  const t = useT();
  const eventTypes = useEventTypes();
  const [search, setSearch] = useState("");
  const shown = (eventTypes.data ?? []).filter((eventType) => eventType.name.toLowerCase().includes(search.toLowerCase()));
  const groups = groupEventTypes(shown);

  return (
    <section className="page" aria-labelledby="catalog-heading">
      <header className="page-header">
        <h1 id="catalog-heading">{t("catalog.title")}</h1>
      </header>
      <p className="muted">{t("catalog.description")}</p>
      <div className="field field-inline">
        <label htmlFor="catalog-search">{t("catalog.search")}</label>
        <input id="catalog-search" type="search" className="input" value={search} onChange={(event) => setSearch(event.target.value)} />
      </div>
      <ErrorNotice error={eventTypes.error} />
      {eventTypes.isSuccess && shown.length === 0 && <p className="empty">{t("catalog.empty")}</p>}
      {groups.map((group) => (
        <section key={group.prefix} className="catalog-group" aria-labelledby={`group-${group.prefix}`}>
          <h2 id={`group-${group.prefix}`} className="mono">
            {group.prefix}
          </h2>
          {group.eventTypes.map((eventType) => {
            const schema = newestSchema(eventType.schemas);
            return (
              <article key={eventType.name} className="card event-type" aria-labelledby={`event-${eventType.name}`}>
                <header className="card-header">
                  <h3 id={`event-${eventType.name}`} className="mono">
                    {eventType.name}
                  </h3>
                  {eventType.deprecated && <Badge tone="warning">{t("catalog.deprecated")}</Badge>}
                </header>
                <p>{eventType.description || <span className="muted">{t("catalog.noDescription")}</span>}</p>
                <div className="two-columns">
                  <div>
                    <h4>{t("catalog.example")}</h4>
                    <CodeBlock value={exampleOf(eventType.schemas)} label={t("catalog.exampleOf", { name: eventType.name })} />
                  </div>
                  <div>
                    <h4>{schema ? t("catalog.schemaVersion", { version: schema.version }) : t("catalog.schema")}</h4>
                    {schema ? (
                      <CodeBlock value={schema.schema} label={t("catalog.schemaOf", { name: eventType.name })} />
                    ) : (
                      <p className="muted">{t("catalog.noSchema")}</p>
                    )}
                  </div>
                </div>
              </article>
            );
          })}
        </section>
      ))}
    </section>
  );
}
