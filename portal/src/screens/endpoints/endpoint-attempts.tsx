import { useState } from "react";

import { listAttemptsByEndpoint } from "../../api/portal-api.ts";
import { usePagedList } from "../../api/use-paged.ts";
import { AttemptItem } from "../../components/attempt-item.tsx";
import { Card } from "../../components/card.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Pager } from "../../components/pager.tsx";
import { useT } from "../../i18n/i18n-context.tsx";

type Filter = "all" | "succeeded" | "failed";
const STATUS: Record<Filter, number | undefined> = { all: undefined, succeeded: 0, failed: 2 };

/** The endpoint's attempts, newest first, refreshed while visible. */
export function EndpointAttempts({ endpointId }: { endpointId: string }) {
  const t = useT();
  const [filter, setFilter] = useState<Filter>("all");
  const paged = usePagedList(["attempts", endpointId, filter], (iterator) =>
    listAttemptsByEndpoint(endpointId, { status: STATUS[filter] }, iterator, 20),
  );
  return (
    <Card
      title={t("attempts.title")}
      actions={
        <div className="segmented" role="group" aria-label={t("attempts.filter")}>
          {(["all", "succeeded", "failed"] as const).map((option) => (
            <button key={option} type="button" className="btn btn-small" aria-pressed={filter === option} onClick={() => setFilter(option)}>
              {t(`attempts.filter.${option}`)}
            </button>
          ))}
        </div>
      }
    >
      <ErrorNotice error={paged.query.error} />
      {paged.query.isSuccess && paged.rows.length === 0 && <p className="muted">{t("attempts.empty")}</p>}
      <ul className="attempt-list">
        {paged.rows.map((attempt) => (
          <AttemptItem key={attempt.id} attempt={attempt} showMessageLink />
        ))}
      </ul>
      <Pager label={t("attempts.pages")} hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.previous} onNext={paged.next} />
    </Card>
  );
}
