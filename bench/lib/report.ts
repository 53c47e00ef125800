/** Percentiles and the printed table. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export interface Row {
  metric: string;
  value: string;
  target?: string;
  /** true = met, false = not met, null = not judged in this run. */
  met?: boolean | null;
}

export function formatTable(rows: readonly Row[]): string {
  const cells = [
    ["metric", "value", "target", ""],
    ...rows.map((row) => [row.metric, row.value, row.target ?? "", row.met === undefined ? "" : row.met === null ? "not judged" : row.met ? "met" : "NOT MET"]),
  ];
  const widths = cells[0].map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) => row.map((cell, column) => (column === 1 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join("  ").trimEnd()).join("\n");
}

export const fmt = {
  rate: (perSecond: number) => `${perSecond.toFixed(0)}/s`,
  ms: (ms: number) => `${ms.toFixed(1)} ms`,
  ratio: (ratio: number) => `${ratio.toFixed(2)}×`,
  mb: (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`,
};
