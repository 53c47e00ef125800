import { toApiError } from "../api/api-error.ts";
import { useT } from "../i18n/i18n-context.tsx";

/** An error from the API in words: its `detail`, or what a 403 means for this link. */
export function useErrorText(): (error: unknown) => string {
  const t = useT();
  return (error) => {
    const apiError = toApiError(error);
    if (apiError?.status === 403) return t("errors.forbidden");
    if (apiError?.status === 404) return t("errors.notFound");
    if (apiError) return apiError.message;
    if (error instanceof Error && !(error instanceof TypeError)) return error.message;
    return t("errors.network");
  };
}

export function ErrorNotice({ error }: { error: unknown }) {
  const errorText = useErrorText();
  if (!error) return null;
  return (
    <p className="notice notice-error" role="alert">
      {errorText(error)}
    </p>
  );
}
