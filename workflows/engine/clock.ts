/**
 * Time, injected: the engine asks a Clock for the time and for timers and
 * never touches Date.now() or setTimeout itself. RealClock is for `npm start`;
 * VirtualClock lets tests (and the runner's --virtual-time) jump ahead, so a
 * three-day task timeout fires at once.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fire` once the clock reaches `at` (epoch milliseconds). */
  setTimer(at: number, fire: () => void): TimerHandle;
}

/** Longest delay setTimeout accepts; longer timers re-arm themselves. */
const MAX_DELAY = 2_147_483_647;

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimer(at: number, fire: () => void): TimerHandle {
    let handle: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = at - Date.now();
      if (delay <= 0) {
        handle = setTimeout(() => {
          if (!cancelled) fire();
        }, 0);
        return;
      }
      handle = setTimeout(arm, Math.min(delay, MAX_DELAY));
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        if (handle) clearTimeout(handle);
      },
    };
  }
}

interface VirtualTimer {
  at: number;
  seq: number;
  fire: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(at: number, fire: () => void): TimerHandle {
    const timer: VirtualTimer = { at, seq: this.seq++, fire, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** The earliest armed timer, if any. */
  nextTimerAt(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers) if (!t.cancelled && (min === undefined || t.at < min)) min = t.at;
    return min;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward, firing due timers in deadline order. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      due.cancelled = true;
      this.timers = this.timers.filter((t) => !t.cancelled);
      due.fire();
    }
    this.current = Math.max(this.current, target);
  }
}
