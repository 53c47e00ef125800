import { type ComponentProps, lazy, Suspense } from "react";

import { useT } from "../i18n/i18n-context.tsx";

const CodeEditor = lazy(() => import("./code-editor.tsx"));

export function LazyCodeEditor(props: ComponentProps<typeof CodeEditor>) {
  const t = useT();
  return (
    <Suspense fallback={<p className="muted">{t("common.loading")}</p>}>
      <CodeEditor {...props} />
    </Suspense>
  );
}
