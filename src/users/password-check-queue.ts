import { OAuthError } from '../common/oauth-error';
import { type Caller, CheckAbandoned } from '../throttling/caller';

interface Job {
  readonly caller: Caller;
  start(): void;
  reject(error: Error): void;
}

/** The answer when no place is free: at once, never after waiting for hashing. */
function queueFull(): OAuthError {
  return new OAuthError(
    503,
    'temporarily_unavailable',
    'Too many passwords are being checked right now; try again shortly.',
    { 'Retry-After': '1' },
  );
}

/**
 * Runs password checks (scrypt, deliberately slow and memory-hard) a fixed number at a time,
 * with a bounded wait list, fairly between sources:
 *
 * - at most `concurrency` checks run at once (scrypt runs on libuv's thread pool, which the
 *   rest of the process needs too), and at most `capacity` wait;
 * - waiting checks are started round-robin by source, so a source that queued a hundred checks
 *   delays another source's login by about one check, not a hundred;
 * - when the wait list is full, the source holding the most places gives up its newest one to
 *   a source holding fewer, and otherwise the new check is refused: either way with
 *   `503 temporarily_unavailable` and `Retry-After` at once;
 * - a check whose request nobody waits for any more (answered at REQUEST_TIMEOUT, connection
 *   closed) is dropped before it starts (CheckAbandoned), never hashed for nothing.
 */
export class PasswordCheckQueue {
  private running = 0;
  /** Waiting checks per source, oldest first; the Map's order is the round-robin order. */
  private readonly waiting = new Map<string, Job[]>();
  private waitingCount = 0;

  constructor(
    readonly concurrency: number,
    readonly capacity: number,
  ) {}

  run<T>(caller: Caller, check: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        caller,
        reject,
        start: () => {
          this.running += 1;
          void Promise.resolve()
            .then(check)
            .then(resolve, reject)
            .finally(() => {
              this.running -= 1;
              this.dispatch();
            });
        },
      };
      if (this.running < this.concurrency && this.waitingCount === 0) job.start();
      else if (!this.admit(job)) reject(queueFull());
    });
  }

  /** Places a job on the wait list, or returns false when there is no fair place for it. */
  private admit(job: Job): boolean {
    if (this.waitingCount >= this.capacity) this.dropAbandoned();
    const source = job.caller.source;
    if (this.waitingCount >= this.capacity) {
      const own = this.waiting.get(source)?.length ?? 0;
      const [hogSource, hogJobs] = this.longestWaitList();
      if (hogJobs.length <= own + 1) return false;
      this.remove(hogSource, hogJobs.length - 1)?.reject(queueFull());
    }
    const jobs = this.waiting.get(source);
    if (jobs) jobs.push(job);
    else this.waiting.set(source, [job]);
    this.waitingCount += 1;
    return true;
  }

  /** Starts waiting checks while places are free, one source after the other. */
  private dispatch(): void {
    while (this.running < this.concurrency && this.waitingCount > 0) {
      const next = this.waiting.keys().next();
      if (next.done === true) return;
      const source = next.value;
      const job = this.remove(source, 0);
      // The source goes to the back of the round.
      const rest = this.waiting.get(source);
      if (rest) {
        this.waiting.delete(source);
        this.waiting.set(source, rest);
      }
      if (!job) continue;
      if (job.caller.abandoned()) job.reject(new CheckAbandoned());
      else job.start();
    }
  }

  private dropAbandoned(): void {
    for (const [source, jobs] of [...this.waiting]) {
      for (let i = jobs.length - 1; i >= 0; i--) {
        if (jobs[i]?.caller.abandoned()) this.remove(source, i)?.reject(new CheckAbandoned());
      }
    }
  }

  private longestWaitList(): [string, Job[]] {
    let longest: [string, Job[]] = ['', []];
    for (const entry of this.waiting) if (entry[1].length > longest[1].length) longest = entry;
    return longest;
  }

  private remove(source: string, index: number): Job | undefined {
    const jobs = this.waiting.get(source);
    const [job] = jobs?.splice(index, 1) ?? [];
    if (job) this.waitingCount -= 1;
    if (jobs?.length === 0) this.waiting.delete(source);
    return job;
  }
}
