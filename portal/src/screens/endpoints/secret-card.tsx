import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { getSecret, rotateSecret } from "../../api/portal-api.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { CopyButton } from "../../components/copy-button.tsx";
import { ConfirmDialog } from "../../components/dialog.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { useT } from "../../i18n/i18n-context.tsx";

/** Herald, like Svix, keeps signing with the previous key too for 24 hours after a rotation. */
const GRACE_PERIOD_HOURS = 24;

/** The signing secret: hidden until Reveal, then Copy; Rotate states the grace period. */
export function SecretCard({ endpointId }: { endpointId: string }) {
  const t = useT();
  const { can } = usePortal();
  const queryClient = useQueryClient();
  const [revealed, setRevealed] = useState(false);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const [rotated, setRotated] = useState(false);
  const secret = useQuery({ queryKey: ["secret", endpointId], queryFn: () => getSecret(endpointId), enabled: revealed && can.viewSecret });
  const rotate = useMutation({
    mutationFn: () => rotateSecret(endpointId),
    onSuccess: () => {
      setConfirmRotate(false);
      setRotated(true);
      queryClient.invalidateQueries({ queryKey: ["secret", endpointId] });
    },
  });

  if (!can.viewSecret) return null;
  return (
    <Card title={t("secret.title")} description={t("secret.description")}>
      <div className="secret-row">
        <code className="secret mono" aria-label={t("secret.value")}>
          {revealed && secret.data ? secret.data.key : "whsec_••••••••••••••••••••••••"}
        </code>
        <div className="button-row">
          <button type="button" className="btn" onClick={() => setRevealed(!revealed)}>
            {revealed ? t("secret.hide") : t("secret.reveal")}
          </button>
          {revealed && secret.data && <CopyButton text={secret.data.key} label={t("secret.copy")} />}
          {can.manageSecret && (
            <button type="button" className="btn" onClick={() => setConfirmRotate(true)}>
              {t("secret.rotate")}
            </button>
          )}
        </div>
      </div>
      {secret.data?.publicKey && revealed && (
        <p className="small">
          {t("secret.publicKey")} <code className="mono break">{secret.data.publicKey}</code>
        </p>
      )}
      {rotated && (
        <p className="notice notice-success" role="status">
          {t("secret.rotated", { hours: GRACE_PERIOD_HOURS })}
        </p>
      )}
      <ErrorNotice error={secret.error} />
      <ConfirmDialog
        open={confirmRotate}
        title={t("secret.rotateTitle")}
        message={
          <>
            <p>{t("secret.rotateBody", { hours: GRACE_PERIOD_HOURS })}</p>
            <ErrorNotice error={rotate.error} />
          </>
        }
        confirmLabel={t("secret.rotateConfirm")}
        busy={rotate.isPending}
        onConfirm={() => rotate.mutate()}
        onCancel={() => setConfirmRotate(false)}
      />
    </Card>
  );
}
