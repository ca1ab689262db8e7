// PromQL/LogQL checks on dashboard expressions: Grafana's variables are replaced by values of
// the right shape first (a duration for $__rate_interval, a number for $objective...), since
// the parsers know nothing of Grafana.
import { parser as logqlParser } from '@grafana/lezer-logql';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';

/** Lezer's node type, taken from the parser so no extra dependency is needed. */
type SyntaxNode = ReturnType<typeof promqlParser.parse>['topNode'];

/** Stands in for $__rate_interval: a duration no query writes by hand, so it can be recognised. */
export const RATE_INTERVAL_STAND_IN = '7m13s';

const substitutions: [RegExp, string][] = [
  [/\$__rate_interval|\$\{__rate_interval\}/g, RATE_INTERVAL_STAND_IN],
  [/\$__interval|\$\{__interval\}/g, '15s'],
  [/\$__auto|\$\{__auto\}/g, '1m'],
  [/\$__range|\$\{__range\}/g, '1h'],
  [/\$availability_objective|\$\{availability_objective\}/g, '0.999'],
  [/\$latency_objective|\$\{latency_objective\}/g, '0.99'],
  // $service_name before $service, which would otherwise eat its start.
  [/\$service_name|\$\{service_name\}/g, 'my-service'],
  [/\$service|\$\{service\}/g, 'my-service'],
  [/\$search|\$\{search\}/g, 'needle'],
];

export function substituteVariables(expr: string): string {
  let out = expr;
  for (const [pattern, value] of substitutions) out = out.replace(pattern, value);
  return out;
}

export interface ParseResult {
  errors: string[];
  /** Metric names of every vector selector. */
  metrics: string[];
  /** Outermost node type (e.g. BinaryExpr) and, for a binary expression, its operator. */
  top: { node: string; operator?: string };
  /** Series names that appear outside rate()/increase() (irate/delta/changes also count as inside). */
  bareSeries: string[];
  /** Range vector windows used inside rate() ($__rate_interval shows as RATE_INTERVAL_STAND_IN). */
  rateWindows: string[];
  /** Label names used in matchers and in by()/on() groupings. */
  labels: string[];
  /** True when the expression always yields a sample (see neverEmpty). */
  neverEmpty: boolean;
}

const comparisonOps = new Set(['Eql', 'Neq', 'Gtr', 'Lss', 'Gte', 'Lte']);
const arithmeticOps = new Set(['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Pow', 'Atan2']);
const operatorNodes = new Set(['Or', 'And', 'Unless', ...comparisonOps, ...arithmeticOps]);

/**
 * Whether an expression can never come back empty ("No data"): a number, vector(...), `X or Y`
 * with Y never empty, arithmetic whose both sides are never empty, parentheses and unary minus
 * around such an expression. Comparisons (filters) and plain selectors can be empty.
 */
function neverEmpty(node: SyntaxNode | null): boolean {
  if (!node) return false;
  switch (node.name) {
    case 'NumberDurationLiteral':
    case 'NumberLiteral':
      return true;
    case 'ParenExpr':
    case 'UnaryExpr':
      return neverEmpty(lastExpression(node));
    case 'FunctionCall': {
      const ident = node.getChild('FunctionIdentifier');
      return ident?.firstChild?.name === 'Vector';
    }
    case 'BinaryExpr': {
      const children = childrenOf(node);
      const opIndex = children.findIndex((c) => operatorNodes.has(c.name));
      const op = children[opIndex]?.name ?? '';
      const left = children[0] ?? null;
      const right = children[children.length - 1] ?? null;
      if (op === 'Or') return neverEmpty(right) || neverEmpty(left);
      if (arithmeticOps.has(op)) return neverEmpty(left) && neverEmpty(right);
      return false;
    }
    default:
      return false;
  }
}

function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function lastExpression(node: SyntaxNode): SyntaxNode | null {
  const children = childrenOf(node).filter(
    (c) => !operatorNodes.has(c.name) && c.name !== 'Sub' && c.name !== 'Add',
  );
  return children[children.length - 1] ?? null;
}

const cumulativeFunctions = new Set(['rate', 'increase', 'irate']);

export function parsePromql(raw: string): ParseResult {
  const expr = substituteVariables(raw);
  const tree = promqlParser.parse(expr);
  const errors: string[] = [];
  const metrics: string[] = [];
  const bareSeries: string[] = [];
  const rateWindows: string[] = [];
  const labels = new Set<string>();
  const fnStack: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(
          `syntax error at ${node.from}: ...${expr.slice(Math.max(0, node.from - 20), node.to + 20)}...`,
        );
      if (node.name === 'FunctionCall') {
        const ident = node.node.getChild('FunctionIdentifier');
        fnStack.push(ident ? expr.slice(ident.from, ident.to) : '');
      }
      if (node.name === 'LabelName') labels.add(expr.slice(node.from, node.to));
      if (node.name === 'VectorSelector') {
        const ident = node.node.getChild('Identifier');
        if (ident) {
          const name = expr.slice(ident.from, ident.to);
          metrics.push(name);
          if (!fnStack.some((f) => cumulativeFunctions.has(f))) bareSeries.push(name);
        }
      }
      if (node.name === 'MatrixSelector' && fnStack[fnStack.length - 1] === 'rate') {
        const range = node.node.lastChild;
        if (range) rateWindows.push(expr.slice(range.from, range.to));
      }
    },
    leave(node) {
      if (node.name === 'FunctionCall') fnStack.pop();
    },
  });
  const rootExpr = tree.topNode.firstChild;
  const top: ParseResult['top'] = { node: rootExpr?.name ?? '' };
  if (rootExpr?.name === 'BinaryExpr') {
    let child = rootExpr.firstChild;
    // The operator is the first child that is not an expression.
    while (
      child &&
      ![
        'Or',
        'And',
        'Unless',
        'Add',
        'Sub',
        'Mul',
        'Div',
        'Mod',
        'Pow',
        'Eql',
        'Neq',
        'Gtr',
        'Lss',
        'Gte',
        'Lte',
        'Atan2',
      ].includes(child.name)
    ) {
      child = child.nextSibling;
    }
    if (child) top.operator = child.name;
  }
  return {
    errors,
    metrics,
    top,
    bareSeries,
    rateWindows,
    labels: [...labels],
    neverEmpty: neverEmpty(rootExpr),
  };
}

export function parseLogql(raw: string): { errors: string[] } {
  const expr = substituteVariables(raw);
  const tree = logqlParser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(
          `syntax error at ${node.from}: ...${expr.slice(Math.max(0, node.from - 20), node.to + 20)}...`,
        );
    },
  });
  return { errors };
}
