// tests/browser/lib/report.ts — how a browser test page reports to tests/browser/run.mjs: it
// collects named checks and timings, then sets window.__report once. Not a test framework: the
// runner reads the report, prints each check and counts them.

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

declare global {
  interface Window {
    __report?: { checks: Check[]; info: Record<string, string>; error?: string };
  }
}

const checks: Check[] = [];
const info: Record<string, string> = {};

/** Records one check; `detail` says what was seen (printed either way). */
export function check(name: string, ok: boolean, detail = ''): void {
  checks.push({ name, ok, detail });
}

/** A figure to print beside the results (never asserted). */
export function note(key: string, value: string): void {
  info[key] = value;
}

/** Runs the page's body, then publishes the report (an exception becomes report.error). */
export function runPage(body: () => Promise<void>): void {
  body().then(
    () => (window.__report = { checks, info }),
    (error: unknown) => (window.__report = { checks, info, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
}

/** True when two arrays hold the same float32 bits (NaNs included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
