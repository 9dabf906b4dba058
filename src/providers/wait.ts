/**
 * What envject says while it waits at start for a secret store that cannot be reached
 * (`--start-timeout`): one warning naming the store and its address (and that the address is the
 * default, when it is), the reason, and until when it keeps trying; then, until the store answers
 * or the wait ends, a progress line every 10 s — or, when stderr is a terminal and the format is
 * text, one status line updated in place every second, left as an ordinary line when the wait ends.
 */
import { type Clock, type TimerHandle, systemClock } from "../clock.js";
import { formatDuration } from "../config/duration.js";
import type { LogFields, Logger, StatusLine } from "../log/logger.js";

/** How often a progress line is logged while waiting (text without a terminal, and JSON). */
export const PROGRESS_EVERY_MS = 10_000;
/** How often the status line of a terminal is rewritten while waiting. */
export const STATUS_EVERY_MS = 1_000;

/** A store (or one region of it) as the wait messages name it. */
export interface StoreDescription {
  /** How users call the store: "Vault", "AWS Secrets Manager". */
  label: string;
  /** The store and where it is: "Vault at http://127.0.0.1:8200", "AWS Secrets Manager in eu-west-1". */
  subject: string;
  /** Set when the address is the default: "the default address; set VAULT_ADDR or vault.address". */
  defaultAddressHint?: string;
  /** Fields every line about the store carries (the address, the region). */
  fields: LogFields;
}

/** Until when a wait lasts. */
export interface WaitLimit {
  /** Epoch ms: the end of --start-timeout. */
  deadline: number;
  /** The --start-timeout the deadline came from, for messages (omitted when unknown). */
  startTimeoutMs?: number;
}

/** How a wait ended: the store answered, the deadline passed, or an error that is no outage ended it. */
export type WaitEnd = "answered" | "gave-up" | "failed";

/**
 * One wait for one store, from its first failure to its end(): logs the warning when created,
 * then progress (lines or a status line) on its own unref'd timer, which end() cancels.
 */
export class StoreWait {
  private readonly began: number;
  private attempts = 1;
  private reason: string;
  private timer: TimerHandle | undefined;
  private readonly status: StatusLine | undefined;
  private ended = false;

  /** Starts the wait after the first failure (`reason`): logs the warning and starts the progress timer. */
  constructor(
    private readonly store: StoreDescription,
    private readonly logger: Logger,
    private readonly limit: WaitLimit,
    reason: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.began = clock.now();
    this.reason = reason;
    logger.warn(waitWarning(store, reason, limit, this.began), {
      ...store.fields,
      ...(store.defaultAddressHint ? { default_address: true } : {}),
      reason,
      until: new Date(limit.deadline).toISOString(),
      start_timeout_s: limit.startTimeoutMs === undefined ? undefined : limit.startTimeoutMs / 1000,
    });
    this.status = logger.statusLine("info");
    if (this.status) {
      this.status.update(this.statusText());
      this.schedule(1, STATUS_EVERY_MS);
    } else if (logger.enabled("info")) {
      this.schedule(1, PROGRESS_EVERY_MS);
    }
  }

  /** Notes another failed attempt (its reason shows in the next progress line). */
  failed(reason: string): void {
    this.attempts++;
    this.reason = reason;
  }

  /** Ends the wait: no more progress; a terminal's status line is left as a line saying how long it took. Later calls do nothing. */
  end(how: WaitEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (!this.status) return;
    const waited = formatSpan(this.clock.now() - this.began);
    const tail = how === "gave-up" ? `; giving up (${timeoutText(this.limit)})` : how === "answered" ? "; it answered" : "";
    this.status.end(`waited ${waited} for ${this.store.subject}${tail}`);
  }

  /** Arms the `n`th tick, `n * every` after the wait began (no drift however late a tick runs). */
  private schedule(n: number, every: number): void {
    const due = this.began + n * every;
    if (due >= this.limit.deadline) return;
    this.timer = this.clock.after(due - this.clock.now(), () => {
      if (this.ended) return;
      if (this.status) this.status.update(this.statusText());
      else this.progress();
      this.schedule(n + 1, every);
    });
  }

  private progress(): void {
    const now = this.clock.now();
    const waited = now - this.began;
    const left = Math.max(0, this.limit.deadline - now);
    this.logger.info(`still waiting for ${this.store.subject}: ${formatSpan(waited)} so far, ${formatSpan(left)} left (until ${formatUntil(this.limit.deadline, now)})`, {
      ...this.store.fields,
      waited_s: Math.round(waited / 1000),
      left_s: Math.round(left / 1000),
      attempts: this.attempts,
      reason: this.reason,
    });
  }

  private statusText(): string {
    const now = this.clock.now();
    const left = Math.max(0, this.limit.deadline - now);
    const tries = this.attempts === 1 ? "1 attempt" : `${this.attempts} attempts`;
    return `waiting for ${this.store.subject}: ${formatSpan(now - this.began)} so far, ${formatSpan(left)} left (until ${formatUntil(this.limit.deadline, now)}; ${tries})`;
  }
}

/**
 * The first warning: `Vault at http://127.0.0.1:8200 (the default address; set VAULT_ADDR or
 * vault.address) could not be reached (…); retrying until 12:04:31 (--start-timeout 60s)`. A
 * reason that starts with the store's subject (Vault's do) continues the sentence; any other is
 * given after "is unavailable:".
 */
export function waitWarning(store: StoreDescription, reason: string, limit: WaitLimit, now: number): string {
  const hint = store.defaultAddressHint ? ` (${store.defaultAddressHint})` : "";
  const what = reason.startsWith(`${store.subject} `) ? reason.slice(store.subject.length + 1) : `is unavailable: ${reason}`;
  return `${store.subject}${hint} ${what}; retrying until ${formatUntil(limit.deadline, now)} (${timeoutText(limit)})`;
}

/** `--start-timeout 60s`, or a pointer to it when its value is unknown. */
function timeoutText(limit: WaitLimit): string {
  return limit.startTimeoutMs === undefined ? "see --start-timeout" : `--start-timeout ${formatTimeout(limit.startTimeoutMs)}`;
}

/** Local wall-clock time `HH:MM:SS`, with the date in front when `at` is on another day than `now`. */
export function formatUntil(at: number, now: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  const n = new Date(now);
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return sameDay ? time : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}

/** Time waited or left, in whole seconds: `0s`, `10s`, `90s` (plain seconds up to two minutes), then `2m0s`, `1h0m0s`. */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 120 ? `${seconds}s` : formatDuration(seconds * 1000);
}

/** A --start-timeout as written: `500ms`, `1.5s`, `12s`, plain seconds up to two minutes (`60s`, the default), then `2m0s`, `1h0m0s`. */
export function formatTimeout(ms: number): string {
  if (ms >= 60_000 && ms < 120_000) return `${Number((ms / 1000).toFixed(3))}s`;
  return formatDuration(ms);
}
