import { useQuery } from "@tanstack/react-query";

import { getQueueStatus } from "../../api/portal-api.ts";
import type { Endpoint } from "../../api/types.ts";
import { livePolling } from "../../api/use-visible-poll.ts";
import { useI18n } from "../../i18n/i18n-context.tsx";

/** Says at the top when an endpoint is disabled or its deliveries are failing, with the last error. */
export function HealthBanner({ endpoint }: { endpoint: Endpoint }) {
  const { t, formatDateTime } = useI18n();
  const queue = useQuery({ queryKey: ["queue", endpoint.id], queryFn: () => getQueueStatus(endpoint.id), ...livePolling });
  const status = queue.data;
  if (endpoint.disabled) {
    return (
      <p className="notice notice-warning" role="status">
        {t("health.disabled")}
      </p>
    );
  }
  if (!status || status.status !== "retrying") return null;
  const since = status.lastFailureTime ? formatDateTime(status.lastFailureTime) : "";
  const code = status.lastHttpStatus ? `HTTP ${status.lastHttpStatus}` : t("attempts.noResponse");
  return (
    <p className="notice notice-error" role="status">
      {t("health.failing", { count: status.numWaiting, since, code })}
    </p>
  );
}
