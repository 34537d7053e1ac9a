/**
 * Values into KQL, safely. The Log Analytics query API takes a query text and a timespan and nothing else: there
 * are no bound parameters (Kusto's `declare query_parameters` needs client request properties this API does not
 * accept), so a value has to be written into the text. Two layers keep that safe:
 * 1. callers validate every value against what it can legitimately be (an AKS resource id, a node name) and
 *    refuse anything else before a query is built;
 * 2. values only ever appear as KQL string literals in `let` bindings at the top of the query, escaped here, so the
 *    query's body is a fixed text that never changes with the values (and the twin can recognise it exactly).
 */

/** Control characters (including line breaks) are refused outright rather than escaped: no valid value has them. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A double-quoted KQL string literal for `value`: backslash and double quote escaped. */
export function kqlString(value: string): string {
  if (CONTROL.test(value)) throw new KqlValueError(`a control character in ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `dynamic(["a", "b"])`: a list of strings for `in` / `in~`. */
export function kqlStringList(values: readonly string[]): string {
  return `dynamic([${values.map(kqlString).join(', ')}])`;
}

/** `let name = <literal>;` — the only place values enter a query. */
export function kqlLet(name: string, literal: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new KqlValueError(`not a KQL identifier: ${JSON.stringify(name)}`);
  return `let ${name} = ${literal};`;
}

export class KqlValueError extends Error {
  override readonly name = 'KqlValueError';
}
