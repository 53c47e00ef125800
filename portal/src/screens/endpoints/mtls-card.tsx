import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { toApiError } from "../../api/api-error.ts";
import { deleteMtls, getMtls, putMtls } from "../../api/portal-api.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { ConfirmDialog } from "../../components/dialog.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { useI18n } from "../../i18n/i18n-context.tsx";

/** The client certificate Herald presents: paste key and certificate; shows the certificate's facts. */
export function MtlsCard({ endpointId }: { endpointId: string }) {
  const { t, formatDateTime } = useI18n();
  const { can, settings } = usePortal();
  const queryClient = useQueryClient();
  const [key, setKey] = useState("");
  const [certificate, setCertificate] = useState("");
  const [confirmRemove, setConfirmRemove] = useState(false);
  const current = useQuery({ queryKey: ["mtls", endpointId], queryFn: () => getMtls(endpointId) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["mtls", endpointId] });
  const upload = useMutation({
    mutationFn: () => putMtls(endpointId, `${key.trim()}\n\n${certificate.trim()}\n`),
    onSuccess: () => {
      setKey("");
      setCertificate("");
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteMtls(endpointId),
    onSuccess: () => {
      setConfirmRemove(false);
      refresh();
    },
  });
  if (settings.enableEndpointMtlsConfig === false) return null;
  const uploadError = toApiError(upload.error);
  const cert = current.data;

  return (
    <Card title={t("mtls.title")} description={t("mtls.description")}>
      <ErrorNotice error={current.error} />
      {current.isSuccess && !cert && <p className="muted">{t("mtls.none")}</p>}
      {cert && (
        <dl className="facts">
          <div>
            <dt>{t("mtls.subject")}</dt>
            <dd className="mono break">{cert.subject}</dd>
          </div>
          <div>
            <dt>{t("mtls.issuer")}</dt>
            <dd className="mono break">{cert.issuer}</dd>
          </div>
          <div>
            <dt>{t("mtls.validity")}</dt>
            <dd>{t("mtls.validRange", { from: formatDateTime(cert.validFrom), to: formatDateTime(cert.validTo) })}</dd>
          </div>
          <div>
            <dt>{t("mtls.fingerprint")}</dt>
            <dd className="mono break">{cert.fingerprint256}</dd>
          </div>
        </dl>
      )}
      {can.manageEndpoint && (
        <>
          {cert && (
            <button type="button" className="btn btn-danger-outline" onClick={() => setConfirmRemove(true)}>
              {t("mtls.remove")}
            </button>
          )}
          <form
            className="form"
            onSubmit={(event) => {
              event.preventDefault();
              upload.mutate();
            }}
          >
            <div className="form-grid">
              <Field label={t("mtls.privateKey")} hint={t("mtls.privateKeyHint")}>
                {(control) => (
                  <textarea {...control} className="input mono" rows={5} spellCheck={false} autoComplete="off" value={key} onChange={(event) => setKey(event.target.value)} />
                )}
              </Field>
              <Field label={t("mtls.certificate")} error={uploadError ? (uploadError.messageFor("identity") ?? uploadError.message) : null}>
                {(control) => (
                  <textarea {...control} className="input mono" rows={5} spellCheck={false} value={certificate} onChange={(event) => setCertificate(event.target.value)} />
                )}
              </Field>
            </div>
            <button type="submit" className="btn" disabled={!key.trim() || !certificate.trim() || upload.isPending}>
              {cert ? t("mtls.replace") : t("mtls.upload")}
            </button>
            {!uploadError && <ErrorNotice error={upload.error} />}
          </form>
        </>
      )}
      <ConfirmDialog
        open={confirmRemove}
        title={t("mtls.removeTitle")}
        message={
          <>
            <p>{t("mtls.removeBody")}</p>
            <ErrorNotice error={remove.error} />
          </>
        }
        confirmLabel={t("mtls.remove")}
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setConfirmRemove(false)}
      />
    </Card>
  );
}
