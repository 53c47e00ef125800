import "uplot/dist/uPlot.min.css";

import { useEffect, useRef } from "react";
import uPlot from "uplot";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A CSS custom property, so the colours follow the theme. */
  color: `--${string}`;
  kind: "bars" | "line";
}

interface TimeChartProps {
  times: number[];
  series: ChartSeries[];
  label: string;
  formatValue: (value: number) => string;
  formatTime: (seconds: number) => string;
}

/** A uPlot chart over time, sized to its container; loaded lazily with the chart library. */
export default function TimeChart({ times, series, label, formatValue, formatTime }: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const styles = getComputedStyle(document.documentElement);
    const axisColor = styles.getPropertyValue("--muted").trim() || "#57606a";
    const gridColor = styles.getPropertyValue("--border").trim() || "#d0d7de";
    const axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 },
    };
    const resolve = (name: string) => styles.getPropertyValue(name).trim() || axisColor;
    const bars = uPlot.paths.bars?.({ size: [0.7, 40], align: 1 });
    const options: uPlot.Options = {
      width: element.clientWidth || 600,
      height: 220,
      legend: { show: true },
      cursor: { points: { show: false } },
      scales: { x: { time: true } },
      axes: [
        { ...axis, values: (_chart, splits) => splits.map((split) => formatTime(split)) },
        { ...axis, values: (_chart, splits) => splits.map((split) => formatValue(split)), size: 56 },
      ],
      series: [
        { value: (_chart, raw) => (raw === null ? "" : formatTime(raw)) },
        ...series.map((entry) => ({
          label: entry.label,
          stroke: resolve(entry.color),
          fill: entry.kind === "bars" ? resolve(entry.color) : undefined,
          width: entry.kind === "bars" ? 0 : 2,
          paths: entry.kind === "bars" ? bars : undefined,
          points: { show: false },
          spanGaps: false,
          value: (_chart: uPlot, raw: number | null) => (raw === null ? "—" : formatValue(raw)),
        })),
      ],
    };
    const data = [times, ...series.map((entry) => entry.values)] as uPlot.AlignedData;
    const chart = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [times, series, formatValue, formatTime]);

  return <div ref={container} className="chart" role="img" aria-label={label} />;
}
