import { useState } from "react";
import { Link } from "wouter";

import { usePagedList } from "../../api/use-paged.ts";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Pager } from "../../components/pager.tsx";
import { HttpStatus, StatusBadge } from "../../components/status-badge.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";
import { LogFilters } from "./log-filters.tsx";
import { fetchLogPage } from "./log-rows.ts";
import type { LogFilter } from "./message-filter.ts";
import { MessageSearch } from "./message-search.tsx";

interface LogProps {
  filter: LogFilter;
  onFilterChange: (filter: LogFilter) => void;
  selectedId?: string;
}

/** The message log: filters, search by id, pages by iterator, refreshed while visible. */
export function MessagesLog({ filter, onFilterChange, selectedId }: LogProps) {
  const { t, formatDateTime } = useI18n();
  const paged = usePagedList(["messages", filter], (iterator) => fetchLogPage(filter, Date.now(), iterator));
  // Open beside the list on a wide screen; on a phone closed, so the messages come first.
  const [filtersOpen] = useState(() => window.matchMedia("(min-width: 48rem)").matches);

  return (
    <section className="list-pane" aria-labelledby="messages-heading">
      <header className="page-header">
        <h1 id="messages-heading">{t("messages.title")}</h1>
      </header>
      <MessageSearch />
      <details className="filters-toggle" open={filtersOpen}>
        <summary>{t("messages.filters")}</summary>
        <LogFilters filter={filter} onChange={onFilterChange} />
      </details>
      <ErrorNotice error={paged.query.error} />
      {paged.query.isPending && <p role="status">{t("common.loading")}</p>}
      {paged.query.isSuccess && paged.rows.length === 0 && <p className="empty">{t("messages.empty")}</p>}
      <ul className="item-list">
        {paged.rows.map((row) => (
          <li key={row.key}>
            <Link href={`/messages/${row.msgId}`} className="item" aria-current={row.msgId === selectedId ? "page" : undefined}>
              <span className="item-title">
                {row.eventType ? <code>{row.eventType}</code> : <code className="mono">{row.msgId}</code>}
              </span>
              <span className="item-meta">
                {row.status !== null && <StatusBadge status={row.status} />}
                {row.responseCode !== null && <HttpStatus code={row.responseCode} />}
                <span className="small">{formatDateTime(row.timestamp)}</span>
                <span className="muted small mono">{row.eventId ?? row.msgId}</span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
      <Pager label={t("messages.pages")} hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.previous} onNext={paged.next} />
    </section>
  );
}
