import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useLocation } from "wouter";

import { toApiError } from "../../api/api-error.ts";
import { getMessage } from "../../api/portal-api.ts";
import { useErrorText } from "../../components/error-notice.tsx";
import { useT } from "../../i18n/i18n-context.tsx";

/** Opens a message by its id or its eventId (the API takes either in the path). */
export function MessageSearch() {
  const t = useT();
  const errorText = useErrorText();
  const [, navigate] = useLocation();
  const [query, setQuery] = useState("");
  const find = useMutation({
    mutationFn: (id: string) => getMessage(id),
    onSuccess: (message) => navigate(`/messages/${message.id}`),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (query.trim()) find.mutate(query.trim());
  };
  return (
    <form className="search" role="search" aria-label={t("messages.search")} onSubmit={submit}>
      <label htmlFor="message-search" className="visually-hidden">
        {t("messages.searchLabel")}
      </label>
      <input
        id="message-search"
        className="input mono"
        type="search"
        placeholder={t("messages.searchPlaceholder")}
        value={query}
        onChange={(event) => setQuery(event.target.value)}
      />
      <button type="submit" className="btn" disabled={find.isPending}>
        {t("messages.find")}
      </button>
      <span role="status" className="small field-error">
        {find.error ? (toApiError(find.error)?.status === 404 ? t("messages.notFound") : errorText(find.error)) : ""}
      </span>
    </form>
  );
}
