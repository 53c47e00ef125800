import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { clearQueue, getQueueStatus } from "../../api/portal-api.ts";
import { livePolling } from "../../api/use-visible-poll.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { ConfirmDialog } from "../../components/dialog.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Badge } from "../../components/status-badge.tsx";
import { type MessageKey, useI18n } from "../../i18n/i18n-context.tsx";

const STATE: Record<string, { key: MessageKey; tone: string }> = {
  idle: { key: "queue.idle", tone: "success" },
  sending: { key: "queue.sending", tone: "warning" },
  retrying: { key: "queue.retrying", tone: "danger" },
  error: { key: "queue.error", tone: "danger" },
};

/** Grist's webhook status: idle, sending or retrying, how many wait, the last error; Clear queue. */
export function QueueCard({ endpointId }: { endpointId: string }) {
  const { t, formatNumber, formatDateTime } = useI18n();
  const { can } = usePortal();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const [cleared, setCleared] = useState(false);
  const status = useQuery({ queryKey: ["queue", endpointId], queryFn: () => getQueueStatus(endpointId), ...livePolling });
  const clear = useMutation({
    mutationFn: () => clearQueue(endpointId),
    onSuccess: () => {
      setConfirm(false);
      setCleared(true);
      queryClient.invalidateQueries({ queryKey: ["queue", endpointId] });
      queryClient.invalidateQueries({ queryKey: ["attempts", endpointId] });
    },
  });
  const data = status.data;
  const state = data ? (STATE[data.status] ?? STATE.idle) : null;

  return (
    <Card
      title={t("queue.title")}
      actions={
        can.manageEndpoint && (
          <button type="button" className="btn" onClick={() => setConfirm(true)}>
            {t("queue.clear")}
          </button>
        )
      }
    >
      <ErrorNotice error={status.error} />
      {data && state && (
        <dl className="facts">
          <div>
            <dt>{t("queue.state")}</dt>
            <dd>
              <Badge tone={state.tone}>{t(state.key)}</Badge>
            </dd>
          </div>
          <div>
            <dt>{t("queue.waiting")}</dt>
            <dd>{formatNumber(data.numWaiting)}</dd>
          </div>
          <div>
            <dt>{t("queue.lastSuccess")}</dt>
            <dd>{data.lastSuccessTime ? formatDateTime(data.lastSuccessTime) : t("common.never")}</dd>
          </div>
          <div>
            <dt>{t("queue.lastError")}</dt>
            <dd className="break">
              {data.lastFailureTime
                ? `${formatDateTime(data.lastFailureTime)}${data.lastHttpStatus ? ` · HTTP ${data.lastHttpStatus}` : ""}${data.lastErrorMessage ? ` · ${data.lastErrorMessage.slice(0, 300)}` : ""}`
                : t("common.none")}
            </dd>
          </div>
        </dl>
      )}
      {cleared && (
        <p className="notice notice-success" role="status">
          {t("queue.cleared")}
        </p>
      )}
      <ConfirmDialog
        open={confirm}
        title={t("queue.clearTitle")}
        message={
          <>
            <p>{t("queue.clearBody", { count: data?.numWaiting ?? 0 })}</p>
            <ErrorNotice error={clear.error} />
          </>
        }
        confirmLabel={t("queue.clearConfirm")}
        danger
        busy={clear.isPending}
        onConfirm={() => clear.mutate()}
        onCancel={() => setConfirm(false)}
      />
    </Card>
  );
}
