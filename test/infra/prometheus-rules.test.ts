import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PROMTOOL_PACKAGE } from '../../localstack/env/promtool';
import { findExecutable } from '../../localstack/env/system';
import {
  COLLECTOR_RULES_FILE,
  COLLECTOR_RULES_NAMESPACE,
  COLLECTOR_RULES_TEST_FILE,
  CollectorPrometheusRules,
  collectorRules,
  GATEWAY_RULES_FILE,
  GATEWAY_RULES_NAMESPACE,
  GATEWAY_RULES_TEST_FILE,
  GatewayPrometheusRules,
  gatewayRules,
} from '../../lib/monitoring';
import { GatewayMetrics } from '../../services/gateway/metrics';
import { CollectorMetrics } from '../../services/collector/metrics';

const OPERATIONS_DOC = join(__dirname, '..', '..', 'docs', 'operations.md');

interface RuleBlock {
  kind: 'alert' | 'record';
  name: string;
  body: string;
}

/**
 * The rules file's rules, cut at each `- alert:` / `- record:` item. The repo has
 * no YAML parser dependency; promtool validates the YAML itself, and the count
 * check below fails if this cut ever misses a rule.
 */
function ruleBlocks(text: string): RuleBlock[] {
  const starts = [...text.matchAll(/^\s*- (alert|record):\s*(\S+)\s*$/gm)];
  return starts.map((match, i) => ({
    kind: match[1] as RuleBlock['kind'],
    name: match[2]!,
    body: text.slice(match.index, starts[i + 1]?.index ?? text.length),
  }));
}

/** The `expr` of a rule block: a one-line scalar (quoted or not) or a `|` / `>` block scalar. */
function expression(block: RuleBlock): string {
  const lines = block.body.split('\n');
  const at = lines.findIndex((line) => /^\s*expr:/.test(line));
  if (at < 0) throw new Error(`rule ${block.name} has no expr`);
  const inline = lines[at]!.replace(/^\s*expr:\s*/, '');
  if (!/^[|>][-+]?\s*$/.test(inline)) return inline.replace(/^(['"])(.*)\1$/, '$2');
  const indent = lines[at]!.search(/\S/);
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((line) => line.trim() !== '' && line.search(/\S/) <= indent);
  return rest.slice(0, end < 0 ? rest.length : end).join('\n');
}

/** Identifiers of an expression outside string literals (label values, regexes). */
function identifiers(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  return withoutStrings.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
}

/** Every series name the collector's registry exposes, histograms with their three suffixes. */
function exportedSeries(): Set<string> {
  const metrics = new CollectorMetrics({ collectDefaults: false });
  const names = metrics.registry.getMetricsAsArray().flatMap((metric) => {
    const { name, type } = metric as unknown as { name: string; type: string };
    return type === 'histogram' || type === 'summary' ? [name, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
  });
  return new Set(names);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchors(markdown: string): Set<string> {
  const headings = [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((match) => match[1]!);
  return new Set(headings.map((heading) => heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')));
}

/** promtool from npm test (PROMTOOL) or PATH; a missing one fails the test, never skips it. */
function promtool(): string {
  const path = process.env.PROMTOOL || findExecutable('promtool', ['/usr/bin']);
  if (!path) throw new Error(`promtool not found: install the Debian package ${PROMTOOL_PACKAGE} (npm test does so when run as root) or set PROMTOOL`);
  return path;
}

function runPromtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool(), args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('collector Prometheus rules', () => {
  const text = collectorRules();
  const blocks = ruleBlocks(text);

  it('pass promtool check rules', () => {
    // Act
    const result = runPromtool(['check', 'rules', COLLECTOR_RULES_FILE]);

    // Assert
    expect(result).toEqual({ status: 0, output: expect.stringContaining(`SUCCESS: ${blocks.length} rules found`) });
  });

  it('pass their promtool unit tests', () => {
    // Act
    const result = runPromtool(['test', 'rules', COLLECTOR_RULES_TEST_FILE]);

    // Assert
    expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('use only series the collector exports, and only recorded series the file defines', () => {
    // Prepare
    const exported = exportedSeries();
    const recorded = new Set(blocks.filter((b) => b.kind === 'record').map((b) => b.name));

    // Act
    const used = blocks.flatMap((block) => identifiers(expression(block)).map((name) => ({ rule: block.name, name })));
    const unknownMetrics = used.filter(({ name }) => name.startsWith('collector_') && !exported.has(name));
    const unknownRecorded = used.filter(({ name }) => name.includes(':') && !recorded.has(name));

    // Assert
    expect(blocks.length).toBe((text.match(/^\s*expr:/gm) ?? []).length);
    expect(used.filter(({ name }) => name.startsWith('collector_')).length).toBeGreaterThan(0);
    expect(unknownMetrics).toEqual([]);
    expect(unknownRecorded).toEqual([]);
  });

  it('give every alert a severity and a runbook section in docs/operations.md', () => {
    // Prepare
    const anchors = headingAnchors(readFileSync(OPERATIONS_DOC, 'utf8'));
    const alerts = blocks.filter((b) => b.kind === 'alert');

    // Act
    const problems = alerts.flatMap(({ name, body }) => {
      const severity = /^\s*severity:\s*(\S+)\s*$/m.exec(body)?.[1];
      const runbook = /^\s*runbook_url:\s*"?([^"\s]+)"?\s*$/m.exec(body)?.[1];
      const [doc, anchor] = (runbook ?? '').split('#');
      return [
        ...(severity === 'critical' || severity === 'warning' ? [] : [`${name}: severity ${severity ?? 'missing'}`]),
        ...(doc === 'docs/operations.md' && anchor && anchors.has(anchor) ? [] : [`${name}: runbook_url ${runbook ?? 'missing'} has no section`]),
      ];
    });

    // Assert
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    expect(problems).toEqual([]);
  });

  it('are deployed byte for byte as a rule groups namespace of the given workspace', () => {
    // Prepare
    const stack = new Stack(new App(), 'RulesTest');
    const workspaceArn = 'arn:aws:aps:us-east-1:123456789012:workspace/ws-test';

    // Act
    new CollectorPrometheusRules(stack, 'Rules', { workspaceArn });

    // Assert
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::APS::RuleGroupsNamespace', { Workspace: workspaceArn, Name: COLLECTOR_RULES_NAMESPACE, Data: readFileSync(COLLECTOR_RULES_FILE, 'utf8') }, 1);
  });
});

describe('gateway Prometheus rules', () => {
  const text = gatewayRules();
  const blocks = ruleBlocks(text);

  it('pass promtool check rules and their promtool unit tests', () => {
    // Act
    const checked = runPromtool(['check', 'rules', GATEWAY_RULES_FILE]);
    const tested = runPromtool(['test', 'rules', GATEWAY_RULES_TEST_FILE]);

    // Assert
    expect(checked).toEqual({ status: 0, output: expect.stringContaining(`SUCCESS: ${blocks.length} rules found`) });
    expect(tested).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('use only series the gateway exports', () => {
    // Prepare
    const exported = new Set(
      new GatewayMetrics().registry.getMetricsAsArray().flatMap((metric) => {
        const { name, type } = metric as unknown as { name: string; type: string };
        return type === 'histogram' ? [name, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
      }),
    );

    // Act
    const used = blocks.flatMap((block) => identifiers(expression(block)).filter((name) => name.startsWith('gateway_')));

    // Assert
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('give every alert a severity and a runbook section in docs/operations.md', () => {
    // Prepare
    const anchors = headingAnchors(readFileSync(OPERATIONS_DOC, 'utf8'));

    // Act
    const problems = blocks
      .filter((b) => b.kind === 'alert')
      .flatMap(({ name, body }) => {
        const runbook = /^\s*runbook_url:\s*"?([^"\s]+)"?\s*$/m.exec(body)?.[1] ?? '';
        return anchors.has(runbook.split('#')[1] ?? '') && /^\s*severity:\s*(critical|warning)\s*$/m.test(body) ? [] : [name];
      });

    // Assert
    expect(problems).toEqual([]);
  });

  it('are deployed byte for byte as a rule groups namespace of the given workspace', () => {
    // Prepare
    const stack = new Stack(new App(), 'GatewayRulesTest');
    const workspaceArn = 'arn:aws:aps:us-east-1:123456789012:workspace/ws-test';

    // Act
    new GatewayPrometheusRules(stack, 'Rules', { workspaceArn });

    // Assert
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::APS::RuleGroupsNamespace', { Workspace: workspaceArn, Name: GATEWAY_RULES_NAMESPACE, Data: readFileSync(GATEWAY_RULES_FILE, 'utf8') }, 1);
  });
});
