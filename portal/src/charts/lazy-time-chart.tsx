import { type ComponentProps, lazy, Suspense } from "react";

import { useT } from "../i18n/i18n-context.tsx";

const TimeChart = lazy(() => import("./time-chart.tsx"));

/** The chart library stays out of the first screen's bundle. */
export function LazyTimeChart(props: ComponentProps<typeof TimeChart>) {
  const t = useT();
  return (
    <Suspense fallback={<div className="chart chart-loading">{t("common.loading")}</div>}>
      <TimeChart {...props} />
    </Suspense>
  );
}
