import { Badge } from "../../components/status-badge.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";
import { healthOf } from "./endpoint-health.ts";
import { useRecentStats } from "./use-recent-stats.ts";

/** Disabled, failing (from the last 24 hours' attempts) or enabled: the same badge in the list and on the endpoint. */
export function EndpointState({ endpoint }: { endpoint: { id: string; disabled?: boolean } }) {
  const { t } = useI18n();
  const stats = useRecentStats();
  if (endpoint.disabled) return <Badge tone="neutral">{t("endpoints.disabled")}</Badge>;
  if (healthOf(stats.data, endpoint.id).failing) return <Badge tone="danger">{t("endpoints.failing")}</Badge>;
  return <Badge tone="success">{t("endpoints.enabled")}</Badge>;
}
