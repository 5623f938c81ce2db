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
