/**
 * `--restart-on-failure N` as a pure rule: whether a crashed child is started again, after how
 * long, and when the count starts over. It reads no clock and starts no timer — the Supervisor
 * measures how long the child ran and does the waiting — so every decision can be tested alone.
 */
import { backoffCeiling } from "../backoff.js";

export interface CrashPolicyOptions {
  /** How many crash restarts are allowed in a row; 0 means never restart. */
  limit: number;
  /** A child that ran at least this long before crashing resets the count and the backoff (default 60000). */
  healthyAfterMs?: number;
  /** The first delay (default 1000); each further restart in a row doubles it. */
  initialDelayMs?: number;
  /** The delay never exceeds this (default 60000). */
  maxDelayMs?: number;
  /** Up to this fraction is taken off each delay at random (default 0.1), so a fleet that crashed
   *  together (a shared database went away) does not come back in lockstep. Never adds: the cap holds. */
  jitter?: number;
  /** The random source for the jitter, in [0, 1) (default Math.random). */
  random?: () => number;
}

export const DEFAULT_HEALTHY_AFTER_MS = 60_000;
export const DEFAULT_INITIAL_DELAY_MS = 1_000;
export const DEFAULT_MAX_DELAY_MS = 60_000;
const DEFAULT_JITTER = 0.1;

/** What to do about one crash. */
export type CrashDecision =
  /** Start the command again after `delayMs`; this is restart number `attempt` (1-based) of `limit`. */
  | { restart: true; attempt: number; limit: number; delayMs: number }
  /** Give up: `limit` restarts in a row have been used (or the limit is 0). */
  | { restart: false; attempt: number; limit: number };

/** The nominal delay before restart number `attempt` (1-based): initial × 2^(attempt−1), capped at max. */
export function backoffDelay(attempt: number, initialDelayMs = DEFAULT_INITIAL_DELAY_MS, maxDelayMs = DEFAULT_MAX_DELAY_MS): number {
  return backoffCeiling(attempt, initialDelayMs, maxDelayMs);
}

/** Counts crash restarts in a row and decides each one; one instance per supervised command. */
export class CrashPolicy {
  private readonly limit: number;
  private readonly healthyAfterMs: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  /** Crash restarts since the last healthy run. */
  private restarts = 0;

  constructor(options: CrashPolicyOptions) {
    this.limit = Number.isFinite(options.limit) ? Math.max(0, Math.floor(options.limit)) : 0;
    this.healthyAfterMs = options.healthyAfterMs ?? DEFAULT_HEALTHY_AFTER_MS;
    this.initialDelayMs = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.jitter = Math.min(Math.max(options.jitter ?? DEFAULT_JITTER, 0), 1);
    this.random = options.random ?? Math.random;
  }

  /** Crash restarts counted so far (since the last healthy run). */
  get count(): number {
    return this.restarts;
  }

  /**
   * Records a crash of a child that ran `ranMs` and decides: restart after a delay while fewer than
   * `limit` restarts have been made in a row, else give up. A run of `healthyAfterMs` or longer
   * first resets the count, so the restart it leads to is number 1 with the initial delay again.
   */
  onCrash(ranMs: number): CrashDecision {
    if (this.limit === 0) return { restart: false, attempt: 0, limit: 0 };
    if (ranMs >= this.healthyAfterMs) this.restarts = 0;
    if (this.restarts >= this.limit) return { restart: false, attempt: this.restarts, limit: this.limit };
    this.restarts += 1;
    const nominal = backoffDelay(this.restarts, this.initialDelayMs, this.maxDelayMs);
    const delayMs = Math.round(nominal * (1 - this.jitter * clampUnit(this.random())));
    return { restart: true, attempt: this.restarts, limit: this.limit, delayMs };
  }
}

function clampUnit(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}
