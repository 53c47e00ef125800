import "./styles/base.css";
import "./styles/layout.css";
import "./styles/components.css";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { toApiError } from "./api/api-error.ts";
import { takeLoginKey } from "./auth/login-key.ts";
import { readEmbedOptions } from "./embed/embed-options.ts";
import { reportHeightToParent } from "./embed/iframe-height.ts";
import { I18nProvider } from "./i18n/i18n-context.tsx";
import { PortalRoot } from "./portal-root.tsx";

// The query string (embedding options) is read before the fragment, which is dropped at once.
const embed = readEmbedOptions();
const loginKey = takeLoginKey();
if (embed.next) history.replaceState(history.state, "", `/portal${embed.next}`);

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (failures, error) => {
        const status = toApiError(error)?.status;
        return status === undefined ? failures < 2 : status >= 500 && failures < 2;
      },
      refetchOnWindowFocus: true,
      staleTime: 2000,
    },
  },
});

reportHeightToParent();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <I18nProvider>
      <QueryClientProvider client={queryClient}>
        <PortalRoot loginKey={loginKey} embed={embed} />
      </QueryClientProvider>
    </I18nProvider>
  </StrictMode>,
);
