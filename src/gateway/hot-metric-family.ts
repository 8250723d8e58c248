import type { Metric } from 'prom-client';

/**
 * A Prometheus counter or histogram family whose series are plain numbers the gateway updates in place,
 * read by a prom-client Registry at scrape time. prom-client's own metrics validate, hash and allocate
 * label objects on every `inc`/`observe`, even through `labels(...)` children; at thousands of requests
 * a second with half a dozen observations each, that was a measurable share of the gateway's CPU and
 * garbage. Here an observation is an array index and an addition.
 */
export interface HotCounter {
  inc(amount?: number): void;
}

export interface HotHistogram {
  observe(value: number): void;
}

type Labels = Record<string, string>;

/** One exposition line's worth, in the shape prom-client's Registry formats. */
interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface ExportedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

interface CounterSeries extends HotCounter {
  readonly labels: Labels;
  value: number;
}

interface HistogramSeries extends HotHistogram {
  readonly labels: Labels;
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface Family<Series> {
  readonly name: string;
  readonly help: string;
  /** The series for these label values (in labelNames order), created on first use and kept (reset zeroes it). */
  series(...values: string[]): Series;
  /** prom-client's Registry reads a metric through these. */
  get(): Promise<ExportedMetric>;
  reset(): void;
}

export type HotCounterFamily = Family<HotCounter>;
export type HotHistogramFamily = Family<HotHistogram>;

export function hotCounterFamily(name: string, help: string, labelNames: readonly string[]): HotCounterFamily {
  const table = seriesTable<CounterSeries>(labelNames, (labels) => {
    const series: CounterSeries = {
      labels,
      value: 0,
      inc(amount = 1) {
        series.value += amount;
      },
    };
    return series;
  });
  return {
    name,
    help,
    series: table.series,
    async get() {
      const values: ExportedValue[] = [];
      for (const series of table.all()) values.push({ labels: series.labels, value: series.value });
      return { name, help, type: 'counter', values, aggregator: 'sum' };
    },
    reset() {
      for (const series of table.all()) series.value = 0;
    },
  };
}

/** `buckets`: upper bounds, ascending, as prom-client takes them (+Inf is added). */
export function hotHistogramFamily(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): HotHistogramFamily {
  const bounds = Float64Array.from(buckets);
  const table = seriesTable<HistogramSeries>(labelNames, (labels) => {
    const series: HistogramSeries = {
      labels,
      counts: new Float64Array(bounds.length + 1),
      sum: 0,
      count: 0,
      observe(value) {
        if (!Number.isFinite(value)) return; // prom-client throws here; a metric must never fail a request
        let index = 0;
        while (index < bounds.length && value > (bounds[index] as number)) index++;
        (series.counts[index] as number)++;
        series.sum += value;
        series.count++;
      },
    };
    return series;
  });
  return {
    name,
    help,
    series: table.series,
    async get() {
      // The shape prom-client's Histogram hands its Registry: cumulative buckets with `le`, then _sum and _count.
      const values: ExportedValue[] = [];
      for (const series of table.all()) {
        let cumulative = 0;
        for (let index = 0; index <= bounds.length; index++) {
          cumulative += series.counts[index] as number;
          const le = index < bounds.length ? (bounds[index] as number) : '+Inf';
          values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: `${name}_bucket` });
        }
        values.push({ labels: series.labels, value: series.sum, metricName: `${name}_sum` });
        values.push({ labels: series.labels, value: series.count, metricName: `${name}_count` });
      }
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
    reset() {
      for (const series of table.all()) {
        series.counts.fill(0);
        series.sum = 0;
        series.count = 0;
      }
    },
  };
}

/**
 * A family's series by label values, created on first use and kept. Reset zeroes them rather than
 * dropping them: callers hold on to their series (the gateway looks each up once per deployment).
 */
function seriesTable<Series>(labelNames: readonly string[], create: (labels: Labels) => Series) {
  const byKey = new Map<string, Series>();
  return {
    series(...values: string[]): Series {
      const key = values.join('\u0000');
      let found = byKey.get(key);
      if (found === undefined) {
        found = create(labelsOf(labelNames, values));
        byKey.set(key, found);
      }
      return found;
    },
    all: () => byKey.values(),
  };
}

/**
 * Registers a family in a prom-client Registry. The Registry needs only `name`, `get()` and `reset()`,
 * but its types list prom-client's own classes, hence the cast.
 */
export function registerHotFamily(registry: { registerMetric(metric: Metric): void }, family: Family<unknown>): void {
  registry.registerMetric(family as unknown as Metric);
}

function labelsOf(labelNames: readonly string[], values: readonly string[]): Labels {
  if (values.length !== labelNames.length) throw new Error(`expected ${labelNames.length} label values (${labelNames.join(', ')}), got ${values.length}`);
  const labels: Labels = {};
  labelNames.forEach((labelName, index) => (labels[labelName] = values[index] as string));
  return labels;
}
