import "uplot/dist/uPlot.min.css";

import { useEffect, useRef } from "react";
import uPlot from "uplot";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A CSS custom property, so the colours follow the theme. Bars are stacked in series order. */
  color: `--${string}`;
  kind: "bars" | "line";
}

interface TimeChartProps {
  times: number[];
  series: ChartSeries[];
  label: string;
  timeLabel: string;
  formatValue: (value: number) => string;
  formatTime: (seconds: number) => string;
}

/** A uPlot chart over time, sized to its container; loaded lazily with the chart library. */
export default function TimeChart({ times, series, label, timeLabel, formatValue, formatTime }: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const build = () => {
      const styles = getComputedStyle(document.documentElement);
      const axisColor = styles.getPropertyValue("--muted").trim() || "#57606a";
      const gridColor = styles.getPropertyValue("--border").trim() || "#d0d7de";
      const axis = {
        stroke: axisColor,
        grid: { stroke: gridColor, width: 1 },
        ticks: { stroke: gridColor, width: 1 },
      };
      const resolve = (name: string) => styles.getPropertyValue(name).trim() || axisColor;
      const bars = uPlot.paths.bars?.({ size: [0.8, 48], align: 1 });
      const step = times.length > 1 ? times[1] - times[0] : 3600;
      // Stacked bars: each bar series is drawn as the running total, the tallest first so every
      // segment shows; legends and summaries keep the series' own values.
      const stacked: (number | null)[][] = [];
      let running = times.map(() => 0);
      for (const entry of series) {
        if (entry.kind !== "bars") {
          stacked.push(entry.values);
          continue;
        }
        running = running.map((total, index) => total + (entry.values[index] ?? 0));
        stacked.push(running);
      }
      const indexes = series.map((_, index) => index);
      const drawOrder = [...indexes.filter((index) => series[index].kind === "bars").reverse(), ...indexes.filter((index) => series[index].kind !== "bars")];
      const options: uPlot.Options = {
        width: element.clientWidth || 600,
        height: 220,
        legend: { show: true },
        cursor: { points: { show: false } },
        scales: { x: { time: true, range: (_chart, min, max) => [min, max + step] } },
        axes: [
          { ...axis, values: (_chart, splits) => splits.map((split) => formatTime(split)) },
          { ...axis, values: (_chart, splits) => splits.map((split) => formatValue(split)), size: 72 },
        ],
        series: [
          { label: timeLabel, value: (_chart, raw) => (raw === null ? "" : formatTime(raw)) },
          ...drawOrder.map((index) => {
            const entry = series[index];
            return {
              label: entry.label,
              stroke: resolve(entry.color),
              fill: entry.kind === "bars" ? resolve(entry.color) : undefined,
              width: entry.kind === "bars" ? 0 : 2,
              paths: entry.kind === "bars" ? bars : undefined,
              points: entry.kind === "bars" ? { show: false } : { show: true, size: 6 },
              spanGaps: false,
              value: (_chart: uPlot, _raw: number | null, _series: number, at: number | null) => {
                const raw = at === null ? null : entry.values[at];
                return raw === null || raw === undefined ? "—" : formatValue(raw);
              },
            };
          }),
        ],
      };
      const data = [times, ...drawOrder.map((index) => stacked[index])] as uPlot.AlignedData;
      return new uPlot(options, data, element);
    };
    let chart = build();
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 220 }));
    resize.observe(element);
    // Colours come from the theme's variables: a theme switch rebuilds the chart with the new ones.
    const themeChange = new MutationObserver(() => {
      chart.destroy();
      chart = build();
    });
    themeChange.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme", "style"] });
    return () => {
      resize.disconnect();
      themeChange.disconnect();
      chart.destroy();
    };
  }, [times, series, timeLabel, formatValue, formatTime]);

  return <div ref={container} className="chart" role="img" aria-label={label} />;
}
