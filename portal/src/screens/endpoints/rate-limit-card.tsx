import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { getRateLimitStatus, patchEndpoint } from "../../api/portal-api.ts";
import type { Endpoint } from "../../api/types.ts";
import { livePolling } from "../../api/use-visible-poll.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { Badge } from "../../components/status-badge.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";

/** The endpoint's rate limit (messages per second) and whether deliveries wait behind it now. */
export function RateLimitCard({ endpoint }: { endpoint: Endpoint }) {
  const { t, formatDateTime } = useI18n();
  const { can } = usePortal();
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ["rate-limit", endpoint.id], queryFn: () => getRateLimitStatus(endpoint.id), ...livePolling });
  const [draft, setDraft] = useState(endpoint.throttleRate ? String(endpoint.throttleRate) : "");
  const rate = draft.trim() === "" ? null : Number(draft);
  const invalid = rate !== null && (!Number.isInteger(rate) || rate < 1 || rate > 65535);
  const save = useMutation({
    mutationFn: () => patchEndpoint(endpoint.id, { throttleRate: rate }),
    onSuccess: (saved) => queryClient.setQueryData(["endpoint", endpoint.id], saved),
  });

  return (
    <Card title={t("rateLimit.title")}>
      <p>
        {endpoint.throttleRate ? t("rateLimit.current", { rate: endpoint.throttleRate }) : t("rateLimit.none")}{" "}
        {status.data &&
          (status.data.status === "RateLimited" ? (
            <Badge tone="warning">
              {t("rateLimit.limited", { since: status.data.throttledSince ? formatDateTime(status.data.throttledSince) : "" })}
            </Badge>
          ) : (
            <Badge tone="success">{t("rateLimit.ok")}</Badge>
          ))}
      </p>
      {can.manageEndpoint && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (!invalid) save.mutate();
          }}
        >
          <Field label={t("form.rateLimit")} hint={t("form.rateLimitHint")} error={invalid ? t("form.rateLimitInvalid") : null}>
            {(control) => <input {...control} className="input" inputMode="numeric" value={draft} onChange={(event) => setDraft(event.target.value)} />}
          </Field>
          <button type="submit" className="btn" disabled={invalid || save.isPending}>
            {t("rateLimit.save")}
          </button>
          {save.isSuccess && (
            <span role="status" className="small muted">
              {t("common.saved")}
            </span>
          )}
        </form>
      )}
      <ErrorNotice error={status.error ?? save.error} />
    </Card>
  );
}
