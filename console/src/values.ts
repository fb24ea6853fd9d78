/**
 * How a key, value or header value is shown: null, JSON (pretty-printed), text, or binary (hex and
 * base64). Text is UTF-8 that decodes without error and has no control characters other than
 * tab and line ends; everything else is binary. Pure: returns strings, the caller puts them in
 * text nodes.
 */
export type Shown =
  | { kind: "null" }
  | { kind: "json"; text: string }
  | { kind: "text"; text: string }
  | { kind: "binary"; hex: string; base64: string; bytes: number };

/** Binary values longer than this show their first bytes in hex (base64 stays whole). */
export const HEX_BYTES_SHOWN = 256;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function showBytes(bytes: Uint8Array | null): Shown {
  if (bytes === null) return { kind: "null" };
  let text: string | undefined;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    text = undefined;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
  if (text !== undefined && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return { kind: "json", text: JSON.stringify(JSON.parse(trimmed), null, 2) };
      } catch {
        // Not JSON after all: plain text.
      }
    }
    return { kind: "text", text };
  }
  return {
    kind: "binary",
    hex: hexOf(bytes.subarray(0, HEX_BYTES_SHOWN)),
    base64: base64Of(bytes),
    bytes: bytes.length,
  };
}

export function hexOf(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (const b of bytes) parts.push(b.toString(16).padStart(2, "0"));
  return parts.join(" ");
}

export function base64Of(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** "1.2k", "3.4M" for counts shown in cards. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return "—";
  if (Math.abs(n) < 1000) return String(Math.round(n * 10) / 10);
  if (Math.abs(n) < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  if (Math.abs(n) < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

export function timeOf(ms: number): string {
  return ms < 0 ? "—" : new Date(ms).toISOString().replace("T", " ").replace("Z", " UTC");
}
