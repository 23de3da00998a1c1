/**
 * Reads a scenario document (YAML 1.2, of which JSON is a subset) and refuses plain scalars that
 * YAML 1.1 readers take differently. Pure (the `yaml` package has no Node imports).
 *
 * Why: Merak reads YAML 1.2 (the `yaml` package's default core schema), but a scenario file is
 * also read by other tools (PyYAML, older Go and Ruby readers, editors, linters) that implement
 * YAML 1.1, where `010` is octal 8, `1:20` is the base-60 number 80, `0b11` is 3, `1_000` is
 * 1000, `yes`/`no`/`on`/`off`/`y`/`n` are booleans and `2024-01-01` is a date, while YAML 1.2
 * reads 10 and the text "1:20", "0b11", "1_000", "yes", "2024-01-01". The same file would
 * describe two different clouds. As the annotation parser does for annotations
 * (src/k8s/annotations.ts), such values are refused with their path, text and both readings, so
 * the author writes what they mean (a plain number, or quotes for text).
 *
 * How: the text is parsed twice, by the same library, as YAML 1.2 and as YAML 1.1; every plain
 * (unquoted) scalar whose two values differ is reported. Integers written with a leading zero
 * (`08`, `00`) are refused too even where this library's 1.1 reader agrees with 1.2, because other
 * 1.1 readers take `08` for the text "08" (PyYAML's int pattern has no 0-prefixed decimals).
 */
import { isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Scalar } from 'yaml';

/** One refused scalar: its path in the document, its text, and both readings. */
export interface YamlIssue {
  path: string;
  value: string;
  rule: string;
}

/** Thrown for text that is not YAML at all; `line` and `col` are 1-based when known. */
export class YamlSyntaxError extends Error {
  override readonly name = 'YamlSyntaxError';
}

/** The document's value as YAML 1.2 reads it, and the plain scalars YAML 1.1 reads otherwise (none: safe). */
export interface StrictYamlResult {
  value: unknown;
  issues: YamlIssue[];
}

const LEADING_ZERO_INT = /^[-+]?0[0-9_]+$/;
const MAC_LIKE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

function describe(value: unknown): string {
  if (value instanceof Date) return `the date ${value.toISOString().slice(0, 10)}`;
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (value === null) return 'null';
  return JSON.stringify(value) ?? String(value);
}

/** Path of a node from visit()'s ancestors: `vpcs[0].subnets[1].cidr`; a mapping key is named `<key>` of its parent. */
function pathOf(ancestors: readonly unknown[], node: Node): string {
  let out = '';
  for (let i = 0; i < ancestors.length; i++) {
    const here = ancestors[i];
    const next = (ancestors[i + 1] ?? node) as unknown;
    if (isSeq(here)) out += `[${here.items.indexOf(next as never)}]`;
    else if (isPair(here)) {
      const keyText = isScalar(here.key) ? String(here.key.value) : String(here.key);
      if (here.key === next) return `${out ? `${out}.` : ''}${keyText} (the key)`;
      out += out ? `.${keyText}` : keyText;
    }
  }
  return out || '(root)';
}

function plainScalars(doc: Document): Map<number, { node: Scalar; path: string }> {
  const out = new Map<number, { node: Scalar; path: string }>();
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (node.type === 'PLAIN' && node.range) out.set(node.range[0], { node, path: pathOf(ancestors, node) });
    },
  });
  return out;
}

function differ(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return true;
  return !Object.is(a, b);
}

/**
 * Parses YAML/JSON text as YAML 1.2 and returns its value with every plain scalar that YAML 1.1
 * would read differently (the caller refuses the document when there is any). Throws YamlSyntaxError for text that is not valid YAML (duplicate keys
 * included), naming the first error.
 */
export function parseYamlStrict(text: string): StrictYamlResult {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new YamlSyntaxError(doc.errors[0]!.message);
  const old = parseDocument(text, { version: '1.1' });
  const now = plainScalars(doc);
  const then = plainScalars(old);
  const issues: YamlIssue[] = [];
  for (const [offset, { node, path }] of now) {
    const source = (node.source ?? String(node.value)).trim();
    const other = then.get(offset)?.node.value;
    if (LEADING_ZERO_INT.test(source)) {
      const reading = describe(node.value);
      const oldReading = differ(node.value, other) ? describe(other) : `octal or the text ${JSON.stringify(source)}, depending on the reader`;
      issues.push({
        path,
        value: source,
        rule: `is a number written with a leading zero: YAML 1.2 (which Merak reads) takes it as ${reading}, YAML 1.1 readers as ${oldReading}; write it without the leading zero, or quote it if it is text`,
      });
      continue;
    }
    if (then.has(offset) && differ(node.value, other) && MAC_LIKE.test(source)) {
      issues.push({
        path,
        value: source,
        rule: `is a MAC address of decimal digits and colons, which YAML 1.1 (PyYAML and other older readers) takes for the base-60 number ${String(other)}; quote it ("${source}")`,
      });
      continue;
    }
    if (then.has(offset) && differ(node.value, other)) {
      issues.push({
        path,
        value: source,
        rule: `reads as ${describe(node.value)} in YAML 1.2 (which Merak reads) but as ${describe(other)} in YAML 1.1 (PyYAML and other older readers); quote it ("${source}") if you mean text${typeof other === 'number' || typeof other === 'boolean' ? `, or write ${String(other)} if you mean ${typeof other === 'number' ? 'the number' : 'the boolean'}` : ''}`,
      });
    }
  }
  // In document order (visit walks it top to bottom), the order the author reads the file in.
  return { value: doc.toJS(), issues };
}
