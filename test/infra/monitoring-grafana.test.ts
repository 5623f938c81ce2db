import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CollectorMetrics } from '../../services/collector/metrics';
import { COLLECTOR_EMF_METRIC_DECLARATIONS, COLLECTOR_METRICS } from '../../lib/monitoring';

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(join(__dirname, '../../docs/grafana/collector-dashboard.json'), 'utf8')) as {
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: unknown; allValue?: string | null }[] };
  panels: Panel[];
};

describe('Grafana collector dashboard', () => {
  const exposed = new Set(
    new CollectorMetrics()
      .registry.getMetricsAsArray()
      .map((metric) => metric.name),
  );
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

  it('is a schema 39 dashboard with a Prometheus datasource variable used by every query', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource.uid).toBe('${datasource}');
    }
  });

  it('narrows the services by the exchange label, and "All" services to the chosen exchanges', () => {
    const names = dashboard.templating.list.map((v) => v.name);
    const exchange = dashboard.templating.list.find((v) => v.name === 'exchange');
    const service = dashboard.templating.list.find((v) => v.name === 'service');
    expect(names.indexOf('exchange')).toBeLessThan(names.indexOf('service'));
    expect(exchange).toMatchObject({ type: 'query', query: { query: 'label_values(collector_messages_total, exchange)' } });
    expect(service).toMatchObject({ query: { query: 'label_values(collector_messages_total{exchange=~"$exchange"}, ServiceName)' }, allValue: null });
  });

  it('queries the contract metrics', () => {
    expect(exprs).toContain('sum(rate(collector_messages_total{ServiceName=~"$service"}[1m]))');
    expect(exprs).toContain('histogram_quantile(0.99, sum by (le) (rate(collector_update_latency_seconds_bucket{ServiceName=~"$service"}[5m])))');
  });

  it('only references metrics the collector exposes', () => {
    const referenced = new Set(exprs.flatMap((expr) => expr.match(/\b(?:collector|process|nodejs)_[a-z0-9_]+/g) ?? []).map((name) => name.replace(/_bucket$/, '')));
    expect(referenced.size).toBeGreaterThan(15);
    for (const name of referenced) expect({ name, exposed: exposed.has(name) }).toEqual({ name, exposed: true });
  });

  it('the CloudWatch metric contract names exist in the collector too', () => {
    for (const name of Object.values(COLLECTOR_METRICS)) expect(exposed.has(name)).toBe(true);
    for (const selector of COLLECTOR_EMF_METRIC_DECLARATIONS.flatMap((d) => d.metric_name_selectors)) {
      expect(exposed.has(selector.replace(/^\^|\$$/g, ''))).toBe(true);
    }
  });
});
