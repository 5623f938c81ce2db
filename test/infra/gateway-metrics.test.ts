import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_EMF_METRIC_DECLARATIONS, GATEWAY_METRICS } from '../../lib/monitoring';
import { GatewayMetrics } from '../../services/gateway/metrics';

describe('gateway metric contract', () => {
  const exposed = new Set(new GatewayMetrics().registry.getMetricsAsArray().map((metric) => metric.name));

  it('names only metrics the gateway exposes, in the CloudWatch contract and the sidecar selectors', () => {
    // Act
    const contract = Object.values(GATEWAY_METRICS);
    const selectors = GATEWAY_EMF_METRIC_DECLARATIONS.flatMap((d) => d.metric_name_selectors).map((selector) => selector.replace(/^\^|\$$/g, ''));

    // Assert
    expect(contract.filter((name) => !exposed.has(name))).toEqual([]);
    expect(selectors.filter((name) => !exposed.has(name))).toEqual([]);
    expect(selectors.sort()).toEqual([...contract].sort());
  });
});

interface Panel {
  type: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
}

describe('Grafana gateway dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(__dirname, '../../docs/grafana/gateway-dashboard.json'), 'utf8')) as { schemaVersion: number; templating: { list: { name: string; type: string; query: unknown }[] }; panels: Panel[] };
  const exposed = new Set(new GatewayMetrics().registry.getMetricsAsArray().map((metric) => metric.name));
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

  it('is a schema 39 dashboard whose every query uses the Prometheus datasource variable', () => {
    // Assert
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of dashboard.panels) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource.uid).toBe('${datasource}');
    }
  });

  it('shows the fan-out p99 and references only metrics the gateway exposes', () => {
    // Act
    const referenced = new Set(exprs.flatMap((expr) => expr.match(/\b(?:gateway|process|nodejs)_[a-z0-9_]+/g) ?? []).map((name) => name.replace(/_bucket$/, '')));

    // Assert
    expect(exprs).toContain('histogram_quantile(0.99, sum by (le) (rate(gateway_fanout_latency_seconds_bucket{ServiceName=~"$service"}[5m])))');
    expect(referenced.size).toBeGreaterThan(10);
    expect([...referenced].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
