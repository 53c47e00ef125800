import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";

import { getEndpoint } from "../../api/portal-api.ts";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { type MessageKey, useT } from "../../i18n/i18n-context.tsx";
import { DeliveryOptionsCard } from "./delivery-options-card.tsx";
import { EndpointAttempts } from "./endpoint-attempts.tsx";
import { EndpointHeader } from "./endpoint-header.tsx";
import { EndpointStatsCard } from "./endpoint-stats-card.tsx";
import { HeadersCard } from "./headers-card.tsx";
import { HealthBanner } from "./health-banner.tsx";
import { MtlsCard } from "./mtls-card.tsx";
import { QueueCard } from "./queue-card.tsx";
import { RateLimitCard } from "./rate-limit-card.tsx";
import { ReplayCard } from "./replay-card.tsx";
import { SecretCard } from "./secret-card.tsx";
import { SendExampleCard } from "./send-example-card.tsx";
import { TransformationCard } from "./transformation-card.tsx";

export type EndpointTab = "overview" | "testing" | "advanced";
const TABS: { tab: EndpointTab; key: MessageKey; path: string }[] = [
  { tab: "overview", key: "endpoint.tabOverview", path: "" },
  { tab: "testing", key: "endpoint.tabTesting", path: "/testing" },
  { tab: "advanced", key: "endpoint.tabAdvanced", path: "/advanced" },
];

/** One endpoint: Overview (stats, secret, queue, replay, attempts), Testing (send example), Advanced. */
export function EndpointDetail({ endpointId, tab }: { endpointId: string; tab: EndpointTab }) {
  const t = useT();
  const endpoint = useQuery({ queryKey: ["endpoint", endpointId], queryFn: () => getEndpoint(endpointId) });
  if (!endpoint.data) {
    return (
      <section className="detail-pane">
        {endpoint.isPending ? <p role="status">{t("common.loading")}</p> : <ErrorNotice error={endpoint.error} />}
      </section>
    );
  }
  const data = endpoint.data;
  return (
    <section className="detail-pane" aria-label={t("endpoint.region")}>
      <EndpointHeader endpoint={data} />
      <HealthBanner endpoint={data} />
      <nav className="tabs" aria-label={t("endpoint.sections")}>
        {TABS.map((entry) => (
          <Link key={entry.tab} href={`/endpoints/${endpointId}${entry.path}`} className="tab" aria-current={entry.tab === tab ? "page" : undefined}>
            {t(entry.key)}
          </Link>
        ))}
      </nav>
      {tab === "overview" && (
        <div className="stack">
          <EndpointStatsCard endpointId={endpointId} />
          <SecretCard endpointId={endpointId} />
          <QueueCard endpointId={endpointId} />
          <ReplayCard endpointId={endpointId} />
          <EndpointAttempts endpointId={endpointId} />
        </div>
      )}
      {tab === "testing" && (
        <div className="stack">
          <SendExampleCard endpointId={endpointId} subscribed={data.eventTypes ?? data.filterTypes} />
          <EndpointAttempts endpointId={endpointId} />
        </div>
      )}
      {tab === "advanced" && (
        <div className="stack">
          <HeadersCard endpointId={endpointId} />
          <RateLimitCard endpoint={data} />
          <DeliveryOptionsCard endpoint={data} />
          <TransformationCard endpointId={endpointId} />
          <MtlsCard endpointId={endpointId} />
        </div>
      )}
    </section>
  );
}
