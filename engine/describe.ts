// engine/describe.ts — how an error message shows a value the user gave us: strings quoted (so
// "10" is told apart from 10), NaN and ±Infinity as themselves (JSON.stringify would print null),
// arrays and plain objects as short JSON. Only for messages; nothing here validates anything.

/** A value as an error message should show it: 10, "10", NaN, [28, 28], { units: 3 }, a Tensor. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value); // NaN, Infinity, -0 → "0"
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map(describeValue);
    return `[${items.join(', ')}${value.length > 8 ? `, ... (${value.length} items)` : ''}]`;
  }
  const name = (value as object).constructor?.name;
  if (ArrayBuffer.isView(value) && 'length' in value) return `a ${name} of length ${(value as { length: number }).length}`;
  if (name !== undefined && name !== 'Object') {
    const shape = (value as { shape?: unknown }).shape;
    return Array.isArray(shape) ? `a ${name} of shape [${shape.join(', ')}]` : `a ${name}`;
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}
