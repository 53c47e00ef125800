import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";

import { deleteEndpoint, patchEndpoint } from "../../api/portal-api.ts";
import type { Endpoint } from "../../api/types.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { ConfirmDialog } from "../../components/dialog.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { EndpointState } from "./endpoint-state.tsx";

/** The endpoint's URL and state, with Edit, Disable/Enable and Delete (confirmed). */
export function EndpointHeader({ endpoint }: { endpoint: Endpoint }) {
  const t = useT();
  const { can } = usePortal();
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  const [confirmDelete, setConfirmDelete] = useState(false);

  const toggle = useMutation({
    mutationFn: () => patchEndpoint(endpoint.id, { disabled: !endpoint.disabled }),
    onSuccess: (saved) => {
      queryClient.setQueryData(["endpoint", endpoint.id], saved);
      queryClient.invalidateQueries({ queryKey: ["endpoints"] });
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteEndpoint(endpoint.id),
    onSuccess: () => {
      setConfirmDelete(false);
      queryClient.removeQueries({ queryKey: ["endpoint", endpoint.id] });
      queryClient.invalidateQueries({ queryKey: ["endpoints"] });
      navigate("/endpoints");
    },
  });

  return (
    <header className="endpoint-header">
      <div className="endpoint-title">
        <Link href="/endpoints" className="back-link">
          {t("endpoints.back")}
        </Link>
        <h1 className="mono break">{endpoint.url}</h1>
        <p className="endpoint-badges">
          <EndpointState endpoint={endpoint} />
          <span className="muted small">{t("endpoints.profileLabel", { profile: endpoint.profile })}</span>
          <span className="muted small mono">{endpoint.id}</span>
        </p>
        {endpoint.description && <p>{endpoint.description}</p>}
      </div>
      {can.manageEndpoint && (
        <div className="button-row">
          <Link href={`/endpoints/${endpoint.id}/edit`} className="btn">
            {t("endpoints.edit")}
          </Link>
          <button type="button" className="btn" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
            {endpoint.disabled ? t("endpoints.enable") : t("endpoints.disable")}
          </button>
          <button type="button" className="btn btn-danger-outline" onClick={() => setConfirmDelete(true)}>
            {t("endpoints.delete")}
          </button>
        </div>
      )}
      <ErrorNotice error={toggle.error} />
      <ConfirmDialog
        open={confirmDelete}
        title={t("endpoints.deleteTitle")}
        message={
          <>
            <p>{t("endpoints.deleteBody")}</p>
            <p className="mono break">{endpoint.url}</p>
            <ErrorNotice error={remove.error} />
          </>
        }
        confirmLabel={t("endpoints.deleteConfirm")}
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setConfirmDelete(false)}
      />
    </header>
  );
}
