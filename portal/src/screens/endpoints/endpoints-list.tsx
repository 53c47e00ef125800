import { Link } from "wouter";

import { listEndpoints } from "../../api/portal-api.ts";
import { usePagedList } from "../../api/use-paged.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Pager } from "../../components/pager.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";
import { healthOf } from "./endpoint-health.ts";
import { EndpointState } from "./endpoint-state.tsx";
import { useRecentStats } from "./use-recent-stats.ts";

/** The endpoints, as cards: a link each, with its state and its success rate over 24 hours. */
export function EndpointsList({ selectedId }: { selectedId?: string }) {
  const { t, formatPercent } = useI18n();
  const { can } = usePortal();
  const paged = usePagedList(["endpoints"], listEndpoints);
  const stats = useRecentStats();

  return (
    <section className="list-pane" aria-labelledby="endpoints-heading">
      <header className="page-header">
        <h1 id="endpoints-heading">{t("endpoints.title")}</h1>
        {can.manageEndpoint && (
          <Link href="/endpoints/new" className="btn btn-primary">
            {t("endpoints.add")}
          </Link>
        )}
      </header>
      <ErrorNotice error={paged.query.error} />
      {paged.query.isPending && <p role="status">{t("common.loading")}</p>}
      {paged.query.isSuccess && paged.rows.length === 0 && (
        <div className="empty">
          <p>{t("endpoints.empty")}</p>
        </div>
      )}
      <ul className="item-list">
        {paged.rows.map((endpoint) => {
          const health = healthOf(stats.data, endpoint.id);
          return (
            <li key={endpoint.id}>
              <Link
                href={`/endpoints/${endpoint.id}`}
                className="item"
                aria-current={endpoint.id === selectedId ? "page" : undefined}
              >
                <span className="item-title mono">{endpoint.url}</span>
                {endpoint.description && <span className="item-sub">{endpoint.description}</span>}
                <span className="item-meta">
                  <EndpointState endpoint={endpoint} />
                  <span className="muted small">
                    {health.successRate === null
                      ? t("endpoints.noRecentAttempts")
                      : t("endpoints.successRate", { rate: formatPercent(health.successRate) })}
                  </span>
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
      <Pager
        label={t("endpoints.pages")}
        hasPrevious={paged.hasPrevious}
        hasNext={paged.hasNext}
        onPrevious={paged.previous}
        onNext={paged.next}
      />
    </section>
  );
}
