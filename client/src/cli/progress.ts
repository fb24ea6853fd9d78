/**
 * A one-line progress bar on stderr for long inputs: records/s and MB/s, and a bar with a
 * percentage when the input size is known (a file). Drawn only on a TTY and only once the work
 * has run for `showAfterMs`, so short runs and pipelines stay quiet; redrawn at most every
 * `intervalMs`, so it costs nothing per record.
 */
import { parseIntArg } from "./args.js";
import { formatBytes, formatCount } from "./output.js";

/** How long a run must last before the bar appears, unless FLOE_PROGRESS_DELAY_MS says otherwise. */
export const PROGRESS_DELAY_MS = 500;

/**
 * The bar's delay: `FLOE_PROGRESS_DELAY_MS` when set (0 = draw at once; tests use it so that no
 * verdict depends on how fast the input is produced), else PROGRESS_DELAY_MS.
 *
 * @example
 * progressDelayMs({ FLOE_PROGRESS_DELAY_MS: "0" }); // 0
 */
export function progressDelayMs(env: Record<string, string | undefined>): number {
  const raw = env.FLOE_PROGRESS_DELAY_MS;
  if (raw === undefined || raw === "") return PROGRESS_DELAY_MS;
  return parseIntArg(raw, "FLOE_PROGRESS_DELAY_MS", 0, 3_600_000);
}

export interface ProgressState {
  records: number;
  /** Input bytes consumed so far. */
  bytes: number;
  /** Input size, when known. */
  totalBytes: number | undefined;
  elapsedMs: number;
}

/**
 * The progress line for a state, fitted to `columns`.
 *
 * @example
 * renderProgress({ records: 5000, bytes: 5e6, totalBytes: 1e7, elapsedMs: 1000 }, 80);
 * // "[##########----------]  50%  5,000 rec  5,000 rec/s  5.0 MB/s"
 */
export function renderProgress(state: ProgressState, columns: number): string {
  const seconds = Math.max(state.elapsedMs, 1) / 1000;
  const stats = `${formatCount(state.records)} rec  ${formatCount(state.records / seconds)} rec/s  ${formatBytes(state.bytes / seconds)}/s`;
  if (state.totalBytes === undefined || state.totalBytes <= 0) return stats.slice(0, columns);
  const fraction = Math.min(1, state.bytes / state.totalBytes);
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const room = columns - stats.length - percent.length - 6;
  if (room < 10) return `${percent}  ${stats}`.slice(0, columns);
  const width = Math.min(40, room);
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}  ${stats}`;
}

export interface ProgressTarget {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export class ProgressBar {
  private readonly startedAt: number;
  /** -Infinity: the first update past the delay draws, whatever the clock's origin. */
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private records = 0;
  private bytes = 0;

  constructor(
    private readonly target: ProgressTarget,
    private readonly totalBytes: number | undefined,
    private readonly options: {
      enabled?: boolean;
      showAfterMs?: number;
      intervalMs?: number;
      now?: () => number;
    } = {},
  ) {
    this.startedAt = this.now();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get enabled(): boolean {
    return this.options.enabled ?? this.target.isTTY === true;
  }

  /**
   * Records progress; redraws when due.
   *
   * @example
   * bar.update(1, line.length + 1);
   */
  update(records: number, bytes: number): void {
    this.records += records;
    this.bytes += bytes;
    if (!this.enabled) return;
    const now = this.now();
    if (now - this.startedAt < (this.options.showAfterMs ?? PROGRESS_DELAY_MS)) return;
    if (now - this.lastDrawAt < (this.options.intervalMs ?? 100)) return;
    this.lastDrawAt = now;
    this.draw(now);
  }

  /** Erases the bar (the final summary is the command's to print). */
  finish(): void {
    if (this.drawn) this.target.write("\r\x1b[2K");
    this.drawn = false;
  }

  private draw(now: number): void {
    // Some terminals (and fresh ptys) report 0 columns: assume the classic 80 then.
    const columns = Math.max(20, (this.target.columns || 80) - 1);
    const line = renderProgress(
      {
        records: this.records,
        bytes: this.bytes,
        totalBytes: this.totalBytes,
        elapsedMs: now - this.startedAt,
      },
      columns,
    );
    this.target.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
}
