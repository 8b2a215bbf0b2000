export interface Summary {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function summarize(name: string, latenciesMs: number[], wallMs: number): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    name,
    requests: sorted.length,
    perSecond: (sorted.length / wallMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

export function table(rows: Summary[], baseline: Summary): string {
  const lines = [
    ["variant", "requests", "req/s", "p50 ms", "p99 ms", "p50 vs baseline", "req/s vs baseline"],
    ...rows.map((row) => [
      row.name,
      String(row.requests),
      row.perSecond.toFixed(0),
      row.p50.toFixed(3),
      row.p99.toFixed(3),
      `${((row.p50 / baseline.p50 - 1) * 100).toFixed(1)}%`,
      `${(row.perSecond / baseline.perSecond).toFixed(2)}×`,
    ]),
  ];
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((line) => line[i]?.length ?? 0))) ?? [];
  return lines.map((line) => line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")).join("\n");
}
