import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../lib/app';
import type { MarketDataStack } from '../../lib/market-data-stack';

/**
 * The stack with one collector service per exchange and shard. Binance-only is
 * what every deployment before other exchanges ran, so its resource identities
 * (logical ids, service names, spill paths, alarm names) are pinned here: a
 * change to any of them replaces a running service or strands a spill.
 */

type Resource = { Type: string; Properties: Record<string, unknown> };
type Container = { Name: string; Environment: { Name: string; Value: unknown }[]; LogConfiguration: { Options: Record<string, unknown> }; MountPoints?: unknown[] };

const HTTP_ONLY = { gatewayHttpOnlyReason: 'infrastructure test: no domain, nothing deployed' };

let lastApp: { app: App; stack: MarketDataStack } | undefined;

function synth(context: Record<string, unknown>): Record<string, Resource> {
  const { app, stack } = buildApp(new App({ context: { ...HTTP_ONLY, ...context } }));
  lastApp = { app, stack };
  return Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
}

const ofType = (resources: Record<string, Resource>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const collectorIds = (resources: Record<string, Resource>) => Object.keys(resources).filter((id) => id.startsWith('Collector') || id.startsWith('MonitoringCollector')).sort();
const env = (container: Container) => Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
const collectorContainers = (resources: Record<string, Resource>) =>
  ofType(resources, 'AWS::ECS::TaskDefinition').flatMap(([id, r]) => (r.Properties.ContainerDefinitions as Container[]).filter((c) => c.Name === 'collector').map((c) => ({ id, container: c })));
const adotConfig = (resources: Record<string, Resource>, taskId: string) => {
  const adot = (resources[taskId]!.Properties.ContainerDefinitions as Container[]).find((c) => c.Name === 'adot')!;
  return JSON.stringify(env(adot).AOT_CONFIG_CONTENT);
};

/** Collector and collector-alarm logical ids of a two-shard Binance stack, as synthesized before other exchanges existed. */
const BINANCE_TWO_SHARD_IDS = [
  'CollectorCluster22941BFA',
  'CollectorLogs2B7E6569',
  'CollectorMetricsLogsB27027F9',
  'CollectorPrometheusEA331434',
  'CollectorPrometheusRulesNamespace5AD4028B',
  'CollectorSecurityGroup247E2E7E',
  'CollectorShard0ServiceAEC55846',
  'CollectorShard0Task2724D34F',
  'CollectorShard0TaskExecutionRole06FE5BE0',
  'CollectorShard0TaskExecutionRoleDefaultPolicy9BC24B53',
  'CollectorShard1Service6BEABB91',
  'CollectorShard1TaskD11D88A1',
  'CollectorShard1TaskExecutionRole9E63D979',
  'CollectorShard1TaskExecutionRoleDefaultPolicy7AE498A1',
  'CollectorSpill6EAC26A4',
  'CollectorSpillEfsMountTarget16E0D74A9',
  'CollectorSpillEfsMountTarget2EA113E6B',
  'CollectorSpillEfsSecurityGroup7B7B9BB2',
  'CollectorSpillEfsSecurityGroupfromMarketDatadevCollectorSecurityGroup8074EBC42049B24EDC09',
  'CollectorSpillShard0Spill79708ACD',
  'CollectorSpillShard1SpillD7F42F8B',
  'CollectorTaskRole45803C63',
  'CollectorTaskRoleDefaultPolicy42198B99',
  'MonitoringCollectorTasksBelowDesired0Alarm30D77405',
  'MonitoringCollectorTasksBelowDesired1AlarmF9DBF69C',
];
/** What the exchange work added to a Binance stack: a no-message alarm per service. */
const BINANCE_TWO_SHARD_NEW_IDS = ['MonitoringCollectorNoMessagesBinance0Alarm3A814C60', 'MonitoringCollectorNoMessagesBinance1Alarm84671E0C'];

let binanceDefault: Record<string, Resource>;
let binanceExplicit: Record<string, Resource>;
let three: Record<string, Resource>;
let threeApp: { app: App; stack: MarketDataStack };

beforeAll(() => {
  binanceDefault = synth({ shardCount: 2 });
  binanceExplicit = synth({ shardCount: 2, exchanges: 'binance' });
  three = synth({ shardCount: 2, exchanges: 'bybit,okx,binance', shards: 'bybit=1' });
  threeApp = lastApp!;
});

describe('exchanges=binance (the default)', () => {
  test('is the same stack as no exchanges context', () => {
    expect(binanceExplicit).toEqual(binanceDefault);
  });

  test('keeps every collector logical id of the single-exchange stack and adds only the no-message alarms', () => {
    expect(collectorIds(binanceDefault)).toEqual([...BINANCE_TWO_SHARD_IDS, ...BINANCE_TWO_SHARD_NEW_IDS].sort());
  });

  test('keeps the service names, spill paths, log prefixes and alarm names', () => {
    // Act
    const serviceNames = ofType(binanceDefault, 'AWS::ECS::Service').map(([, r]) => r.Properties.ServiceName).filter((name) => String(name).startsWith('collector'));
    const paths = ofType(binanceDefault, 'AWS::EFS::AccessPoint').map(([, r]) => (r.Properties.RootDirectory as { Path: string }).Path);
    const prefixes = collectorContainers(binanceDefault).map(({ container }) => container.LogConfiguration.Options['awslogs-stream-prefix']);
    const alarmNames = ['MonitoringCollectorTasksBelowDesired0Alarm30D77405', 'MonitoringCollectorTasksBelowDesired1AlarmF9DBF69C'].map((id) => binanceDefault[id]!.Properties.AlarmName);

    // Assert
    expect(serviceNames.sort()).toEqual(['collector-shard-0', 'collector-shard-1']);
    expect(paths.sort()).toEqual(['/collector-shard-0', '/collector-shard-1']);
    expect(prefixes.sort()).toEqual(['collector-0', 'collector-1']);
    expect(alarmNames).toEqual(['dev-market-data-collector-0-tasks-below-desired', 'dev-market-data-collector-1-tasks-below-desired']);
  });

  test('runs EXCHANGE=binance with the Binance endpoints only', () => {
    for (const { container } of collectorContainers(binanceDefault)) {
      const vars = env(container);
      expect(vars).toMatchObject({ EXCHANGE: 'binance', SHARD_COUNT: '2', BINANCE_WS_URL: 'wss://stream.binance.com:9443', BINANCE_REST_URL: 'https://api.binance.com' });
      expect(Object.keys(vars).filter((name) => /^(OKX|BYBIT)_/.test(name))).toEqual([]);
    }
  });
});

describe('exchanges=binance,okx,bybit with shardCount=2 and shards=bybit=1', () => {
  test('builds one service per exchange and shard, named after both', () => {
    // Act
    const services = ofType(three, 'AWS::ECS::Service').filter(([, r]) => String(r.Properties.ServiceName).startsWith('collector'));

    // Assert
    expect(services.map(([, r]) => r.Properties.ServiceName).sort()).toEqual(['collector-bybit-shard-0', 'collector-okx-shard-0', 'collector-okx-shard-1', 'collector-shard-0', 'collector-shard-1']);
    for (const [, service] of services) expect(service.Properties).toMatchObject({ DesiredCount: 2, LaunchType: 'FARGATE' });
  });

  test('sets EXCHANGE, the shard of that exchange and only its endpoints on each collector container', () => {
    // Act
    const seen = collectorContainers(three).map(({ container }) => {
      const vars = env(container);
      return [vars.EXCHANGE, vars.SHARD_INDEX, vars.SHARD_COUNT, Object.keys(vars).filter((name) => /_(WS|REST)_URL$/.test(name)).sort().join(' ')];
    });

    // Assert
    expect(seen.sort()).toEqual([
      ['binance', '0', '2', 'BINANCE_REST_URL BINANCE_WS_URL'],
      ['binance', '1', '2', 'BINANCE_REST_URL BINANCE_WS_URL'],
      ['bybit', '0', '1', 'BYBIT_REST_URL BYBIT_WS_URL'],
      ['okx', '0', '2', 'OKX_REST_URL OKX_WS_URL'],
      ['okx', '1', '2', 'OKX_REST_URL OKX_WS_URL'],
    ]);
    const okx = collectorContainers(three).find(({ container }) => env(container).EXCHANGE === 'okx')!;
    expect(env(okx.container)).toMatchObject({ OKX_WS_URL: 'wss://ws.okx.com:8443/ws/v5/public', OKX_REST_URL: 'https://www.okx.com' });
    const bybit = collectorContainers(three).find(({ container }) => env(container).EXCHANGE === 'bybit')!;
    expect(env(bybit.container)).toMatchObject({ BYBIT_WS_URL: 'wss://stream.bybit.com/v5/public/spot', BYBIT_REST_URL: 'https://api.bybit.com' });
    expect(okx.container.LogConfiguration.Options['awslogs-stream-prefix']).toMatch(/^collector-okx-[01]$/);
  });

  test('labels each service\'s Prometheus series with its exchange', () => {
    for (const { id, container } of collectorContainers(three)) {
      expect(adotConfig(three, id)).toContain(`exchange: \\"${env(container).EXCHANGE}\\"`);
    }
  });

  test('gives every service its own spill access point, Binance at its old paths, and mounts only that one', () => {
    // Prepare
    const accessPoints = ofType(three, 'AWS::EFS::AccessPoint');
    const pathOf = Object.fromEntries(accessPoints.map(([id, r]) => [id, (r.Properties.RootDirectory as { Path: string }).Path]));

    // Act
    const mounted = ofType(three, 'AWS::ECS::TaskDefinition')
      .filter(([, r]) => (r.Properties.ContainerDefinitions as Container[]).some((c) => c.Name === 'collector'))
      .map(([, r]) => {
        const collector = (r.Properties.ContainerDefinitions as Container[]).find((c) => c.Name === 'collector')!;
        const volume = (r.Properties.Volumes as { EFSVolumeConfiguration: { AuthorizationConfig: { AccessPointId: { Ref: string } } } }[])[0]!;
        return [env(collector).EXCHANGE, env(collector).SHARD_INDEX, pathOf[volume.EFSVolumeConfiguration.AuthorizationConfig.AccessPointId.Ref]];
      });

    // Assert
    expect(Object.values(pathOf).sort()).toEqual(['/collector-bybit-shard-0', '/collector-okx-shard-0', '/collector-okx-shard-1', '/collector-shard-0', '/collector-shard-1']);
    expect(mounted.sort()).toEqual([
      ['binance', '0', '/collector-shard-0'],
      ['binance', '1', '/collector-shard-1'],
      ['bybit', '0', '/collector-bybit-shard-0'],
      ['okx', '0', '/collector-okx-shard-0'],
      ['okx', '1', '/collector-okx-shard-1'],
    ]);
  });

  test('lets the task role mount through exactly these access points', () => {
    // Act
    const statements = (three.CollectorTaskRoleDefaultPolicy42198B99!.Properties.PolicyDocument as { Statement: { Action: unknown; Condition?: { StringEquals: Record<string, unknown[]> } }[] }).Statement;
    const efs = statements.find((s) => JSON.stringify(s.Action).includes('elasticfilesystem:ClientMount'))!;
    const arns = efs.Condition!.StringEquals['elasticfilesystem:AccessPointArn']!.map((arn) => JSON.stringify(arn));

    // Assert
    const accessPointIds = ofType(three, 'AWS::EFS::AccessPoint').map(([id]) => id);
    expect(arns).toHaveLength(5);
    for (const id of accessPointIds) expect(arns.some((arn) => arn.includes(id))).toBe(true);
  });

  test('leaves the Binance resources exactly as a Binance-only stack has them', () => {
    for (const id of BINANCE_TWO_SHARD_IDS.filter((id) => /Shard\d|TasksBelowDesired/.test(id))) {
      expect(three[id]).toEqual(binanceDefault[id]);
    }
  });

  test('has per-exchange alarms: tasks and no messages for every service, trades lost for Bybit', () => {
    // Act
    const names = ofType(three, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => String(r.Properties.AlarmName))
      .filter((name) => name.startsWith('dev-market-data-collector-'))
      .map((name) => name.replace('dev-market-data-', ''));

    // Assert
    expect(names.sort()).toEqual(
      [
        'collector-0-tasks-below-desired',
        'collector-1-tasks-below-desired',
        'collector-okx-0-tasks-below-desired',
        'collector-okx-1-tasks-below-desired',
        'collector-bybit-0-tasks-below-desired',
        'collector-binance-0-no-messages',
        'collector-binance-1-no-messages',
        'collector-okx-0-no-messages',
        'collector-okx-1-no-messages',
        'collector-bybit-0-no-messages',
        'collector-bybit-0-trades-lost',
      ].sort(),
    );
    const tradesLost = ofType(three, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.AlarmName === 'dev-market-data-collector-bybit-0-trades-lost')![1];
    expect(tradesLost.Properties.AlarmDescription).toMatch(/Bybit collector service collector-bybit-shard-0 .*unrecoverable data loss/);
  });

  test('names the exchanges in the stack description', () => {
    expect(threeApp.stack.templateOptions.description).toBe('Market data collector (dev): Binance, OKX, Bybit -> ECS collector -> Redis + SQS -> Lambda -> PostgreSQL');
  });

  test('has a dashboard section per exchange', () => {
    const body = JSON.stringify(ofType(three, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    expect(body).toContain('#### Binance collector: 2 shards');
    expect(body).toContain('#### OKX collector: 2 shards');
    expect(body).toContain('#### Bybit collector: 1 shard (services `collector-bybit-shard-0`)');
    for (const name of ['Binance', 'OKX', 'Bybit']) expect(body).toContain(`\\"title\\":\\"${name} collector messages / s\\"`);
  });
});

describe('cdk-nag on three exchanges', () => {
  test('AwsSolutions reports no unacknowledged errors', () => {
    const report = new AwsSolutionsChecks().validateScope(threeApp.app);
    expect(report.violations.filter((v) => v.severity === 'error').map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(Annotations.fromStack(threeApp.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});

describe('invalid exchange context', () => {
  test.each([
    [{ exchanges: 'binance,ftx' }, /^Context exchanges=binance,ftx is invalid/],
    [{ exchanges: 'okx,okx' }, /^Context exchanges=okx,okx is invalid: okx is listed twice/],
    [{ exchanges: '' }, /^Context exchanges= is invalid: name at least one exchange/],
    [{ exchanges: 'okx', shards: 'bybit=2' }, /^Context shards gives bybit a shard count, but exchanges=okx does not deploy it/],
  ])('%j stops the synth with a message naming the key', (context, message) => {
    expect(() => buildApp(new App({ context: { ...HTTP_ONLY, ...context } }))).toThrow(message);
  });
});
