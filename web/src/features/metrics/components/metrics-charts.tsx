import '@mantine/charts/styles.css';
import { AreaChart, BarChart, LineChart } from '@mantine/charts';
import { Paper, SimpleGrid, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Metrics, MetricsWindow } from '../../../api/types';
import { histogramBars, readSeries } from '../metrics-series';

function ChartCard({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="lg" component="figure" m={0} aria-label={title}>
      <Text fw={700} component="figcaption">
        {title}
      </Text>
      <Text size="xs" c="dimmed" mb="md">
        {description}
      </Text>
      {children}
    </Paper>
  );
}

const msFormatter = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

/** The charts of the metrics view. Loaded on demand so that recharts never weighs on the dashboard. */
export default function MetricsCharts({ metrics, window }: { metrics: Metrics; window: MetricsWindow }) {
  const series = readSeries(metrics, window);
  const bars = histogramBars(metrics.latencyHistogram);
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg" data-testid="metrics-charts">
      <ChartCard title="Latency distribution" description="Requests by total latency in this window">
        <BarChart h={240} data={bars} dataKey="range" series={[{ name: 'requests', label: 'Requests', color: 'indigo.6' }]} tickLine="y" gridAxis="y" withTooltip />
      </ChartCard>
      <ChartCard title="Requests" description="Successful and failed requests over time">
        <BarChart
          h={240}
          data={series}
          dataKey="label"
          type="stacked"
          series={[
            { name: 'successful', label: 'Successful', color: 'teal.6' },
            { name: 'errors', label: 'Failed', color: 'red.6' },
          ]}
          tickLine="y"
          gridAxis="y"
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          minBarSize={0}
        />
      </ChartCard>
      <ChartCard title="Latency and time to first token" description="p50 and p95 latency, p50 TTFT and inter-token latency, per interval">
        <LineChart
          h={240}
          data={series}
          dataKey="label"
          series={[
            { name: 'latencyP50Ms', label: 'Latency p50', color: 'indigo.6' },
            { name: 'latencyP95Ms', label: 'Latency p95', color: 'grape.6' },
            { name: 'ttftP50Ms', label: 'TTFT p50', color: 'orange.6' },
            { name: 'interTokenP50Ms', label: 'Inter-token p50', color: 'yellow.6' },
          ]}
          valueFormatter={msFormatter}
          connectNulls
          curveType="monotone"
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          dotProps={{ r: 3, strokeWidth: 1 }}
          tickLine="y"
          gridAxis="y"
        />
      </ChartCard>
      <ChartCard title="Tokens" description="Input and output tokens per interval">
        <AreaChart
          h={240}
          data={series}
          dataKey="label"
          type="stacked"
          series={[
            { name: 'inputTokens', label: 'Input', color: 'cyan.6' },
            { name: 'outputTokens', label: 'Output', color: 'violet.6' },
          ]}
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          withDots={false}
          tickLine="y"
          gridAxis="y"
        />
      </ChartCard>
    </SimpleGrid>
  );
}
