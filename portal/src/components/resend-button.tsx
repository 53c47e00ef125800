import { useMutation, useQueryClient } from "@tanstack/react-query";

import { resend } from "../api/portal-api.ts";
import { usePortal } from "../auth/session-context.tsx";
import { useT } from "../i18n/i18n-context.tsx";
import { useErrorText } from "./error-notice.tsx";

/** Sends a message to one endpoint again; the new attempt shows up in the lists that poll. */
export function ResendButton({ msgId, endpointId }: { msgId: string; endpointId: string }) {
  const t = useT();
  const errorText = useErrorText();
  const { can } = usePortal();
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: () => resend(msgId, endpointId),
    onSuccess: () => {
      queryClient.invalidateQueries({ queryKey: ["attempts"] });
      queryClient.invalidateQueries({ queryKey: ["message", msgId] });
    },
  });
  if (!can.createAttempts) return null;
  return (
    <span className="button-with-status">
      <button type="button" className="btn" disabled={mutation.isPending} onClick={() => mutation.mutate()}>
        {t("attempts.resend")}
      </button>
      <span role="status" className="small muted">
        {mutation.isSuccess ? t("attempts.resent") : mutation.error ? errorText(mutation.error) : ""}
      </span>
    </span>
  );
}
