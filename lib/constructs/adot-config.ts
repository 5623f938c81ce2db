/**
 * Configuration of the AWS Distro for OpenTelemetry sidecar (AOT_CONFIG_CONTENT).
 * It scrapes the collector's /metrics on localhost every 15 s and exports to:
 *  - Amazon Managed Service for Prometheus (prometheusremotewrite, SigV4 with the
 *    task role): every series, labelled with Stage, Shard and the task's ECS
 *    metadata so the two tasks of a shard never write the same series;
 *  - CloudWatch through the awsemf exporter (EMF log events, turned into metrics
 *    by CloudWatch Logs): only the metrics and dimension sets of the monitoring
 *    contract (lib/monitoring/metrics.ts), never per task.
 * Values are JSON strings (valid YAML), and the file contains no `$`, so the
 * collector's environment expansion leaves it alone.
 */
export interface AdotConfigOptions {
  /** The workspace's `PrometheusEndpoint` (ends with `/`). */
  prometheusEndpoint: string;
  region: string;
  namespace: string;
  /** Log group the awsemf exporter writes EMF events to. */
  emfLogGroupName: string;
  /** Labels added to every scraped series (and usable as CloudWatch dimensions). */
  labels: Record<string, string>;
  /** Collector HTTP port (HTTP_PORT). */
  metricsPort: number;
  /** Prometheus names of the metrics exported to CloudWatch (renamed back if the receiver dropped `_total`). */
  cloudWatchMetricNames: readonly string[];
  /** awsemf `metric_declarations`: which metrics reach CloudWatch, with which dimension sets. */
  metricDeclarations: ReadonlyArray<{ dimensions: string[][]; metric_name_selectors: string[] }>;
  /** Histograms among them: turned from cumulative into per-export deltas for CloudWatch. */
  cloudWatchHistograms: readonly string[];
  /** Prometheus scrape job name (the `job` label in AMP); default `collector`. */
  jobName?: string;
}

const q = (value: string | number): string => JSON.stringify(String(value));

export function adotConfig(o: AdotConfigOptions): string {
  // The Prometheus receiver may drop `_total` from counter names (OpenTelemetry
  // name normalization, depending on the ADOT version's feature gates); the
  // CloudWatch pipeline renames them back so the names there are exactly the
  // Prometheus names whatever the version does.
  const renames = o.cloudWatchMetricNames
    .filter((name) => name.endsWith('_total'))
    .map((name) => `      - include: ${q(`^${name.replace(/_total$/, '')}$`)}\n        match_type: regexp\n        action: update\n        new_name: ${q(name)}`)
    .join('\n');
  const declarations = o.metricDeclarations
    .map((d) => `      - dimensions: ${JSON.stringify(d.dimensions)}\n        metric_name_selectors: ${JSON.stringify(d.metric_name_selectors)}`)
    .join('\n');
  const labels = Object.entries(o.labels)
    .map(([key, value]) => `                ${key}: ${q(value)}`)
    .join('\n');
  return `extensions:
  health_check: {}
  sigv4auth:
    region: ${q(o.region)}
    service: "aps"
receivers:
  prometheus:
    config:
      global:
        scrape_interval: "15s"
        scrape_timeout: "10s"
      scrape_configs:
        - job_name: ${q(o.jobName ?? 'collector')}
          metrics_path: "/metrics"
          static_configs:
            - targets: [${q(`localhost:${o.metricsPort}`)}]
              labels:
${labels}
processors:
  batch/amp:
    timeout: "15s"
  batch/cloudwatch:
    timeout: "60s"
  resourcedetection:
    detectors: ["env", "ecs"]
  metricstransform:
    transforms:
${renames || '      []'}
  cumulativetodelta:
    include:
      metrics: ${JSON.stringify(o.cloudWatchHistograms)}
      match_type: "strict"
exporters:
  prometheusremotewrite:
    endpoint: ${q(`${o.prometheusEndpoint}api/v1/remote_write`)}
    auth:
      authenticator: "sigv4auth"
    resource_to_telemetry_conversion:
      enabled: true
  awsemf:
    region: ${q(o.region)}
    namespace: ${q(o.namespace)}
    log_group_name: ${q(o.emfLogGroupName)}
    log_stream_name: "{TaskId}"
    dimension_rollup_option: "NoDimensionRollup"
    metric_declarations:
${declarations}
service:
  extensions: ["health_check", "sigv4auth"]
  pipelines:
    metrics/amp:
      receivers: ["prometheus"]
      processors: ["resourcedetection", "batch/amp"]
      exporters: ["prometheusremotewrite"]
    metrics/cloudwatch:
      receivers: ["prometheus"]
      processors: ["metricstransform", "cumulativetodelta", "batch/cloudwatch"]
      exporters: ["awsemf"]
`;
}
