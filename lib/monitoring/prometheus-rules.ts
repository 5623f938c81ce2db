import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aws_aps as aps } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The collector's Prometheus recording and alerting rules. The CDK deploys this
 * file byte for byte, and npm test runs `promtool check rules` and
 * `promtool test rules` on it, so what is tested is what runs in AMP.
 */
export const COLLECTOR_RULES_FILE = join(__dirname, 'prometheus', 'collector-rules.yml');
/** promtool unit tests of COLLECTOR_RULES_FILE. */
export const COLLECTOR_RULES_TEST_FILE = join(__dirname, 'prometheus', 'collector-rules.test.yml');

/** Name of the rule groups namespace in the workspace (AMP allows 1 to 64 characters). */
export const COLLECTOR_RULES_NAMESPACE = 'market-data-collector';

export function collectorRules(): string {
  return readFileSync(COLLECTOR_RULES_FILE, 'utf8');
}

export interface CollectorPrometheusRulesProps {
  /** ARN of the Amazon Managed Service for Prometheus workspace the collectors remote-write to. */
  workspaceArn: string;
}

/**
 * The collector's rules as a rule groups namespace of the AMP workspace: AMP
 * evaluates them on the remote-written series (recording rules write their
 * results back into the workspace; alerts go to the workspace's alert manager).
 */
export class CollectorPrometheusRules extends Construct {
  readonly namespace: aps.CfnRuleGroupsNamespace;

  constructor(scope: Construct, id: string, props: CollectorPrometheusRulesProps) {
    super(scope, id);
    this.namespace = new aps.CfnRuleGroupsNamespace(this, 'Namespace', {
      workspace: props.workspaceArn,
      name: COLLECTOR_RULES_NAMESPACE,
      data: collectorRules(),
    });
  }
}

/** The stream gateway's rules (fan-out p99, Redis subscription), deployed and tested like the collector's. */
export const GATEWAY_RULES_FILE = join(__dirname, 'prometheus', 'gateway-rules.yml');
/** promtool unit tests of GATEWAY_RULES_FILE. */
export const GATEWAY_RULES_TEST_FILE = join(__dirname, 'prometheus', 'gateway-rules.test.yml');
export const GATEWAY_RULES_NAMESPACE = 'market-data-gateway';

export function gatewayRules(): string {
  return readFileSync(GATEWAY_RULES_FILE, 'utf8');
}

/** The gateway's rules as a rule groups namespace of the workspace its sidecar remote-writes to. */
export class GatewayPrometheusRules extends Construct {
  readonly namespace: aps.CfnRuleGroupsNamespace;

  constructor(scope: Construct, id: string, props: CollectorPrometheusRulesProps) {
    super(scope, id);
    this.namespace = new aps.CfnRuleGroupsNamespace(this, 'Namespace', { workspace: props.workspaceArn, name: GATEWAY_RULES_NAMESPACE, data: gatewayRules() });
  }
}
