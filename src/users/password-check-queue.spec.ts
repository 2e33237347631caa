import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../common/oauth-error';
import { type Caller, CheckAbandoned } from '../throttling/caller';
import { PasswordCheckQueue } from './password-check-queue';

/** A caller from `source` whose request is abandoned once `abandon()` was called. */
function caller(source: string): Caller & { abandon(): void } {
  let abandoned = false;
  return { source, abandoned: () => abandoned, abandon: () => (abandoned = true) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A check that finishes when the test says so, recording that it started. */
class Checks {
  readonly started: string[] = [];
  private readonly finishers: Array<() => void> = [];

  check(name: string): () => Promise<string> {
    return () =>
      new Promise<string>((resolve) => {
        this.started.push(name);
        this.finishers.push(() => resolve(name));
      });
  }

  /** Finishes the oldest running check and lets the queue start the next. */
  async finishOne(): Promise<void> {
    await tick(); // a check starts on a later microtask than queue.run
    const finish = this.finishers.shift();
    assert.ok(finish, 'no check is running');
    finish();
    await tick();
  }
}

/** What a queued check came to: its value, or the error code it was refused with. */
function outcome(promise: Promise<string>): Promise<string> {
  return promise.then(
    (value) => value,
    (error: unknown) =>
      error instanceof OAuthError
        ? `${error.status} ${error.code}`
        : error instanceof CheckAbandoned
          ? 'abandoned'
          : 'other',
  );
}

describe('PasswordCheckQueue', () => {
  it('runs at most `concurrency` checks at once and starts the next when one ends', async () => {
    const queue = new PasswordCheckQueue(2, 10);
    const checks = new Checks();
    const a = caller('a');
    const results = ['1', '2', '3'].map((n) => outcome(queue.run(a, checks.check(n))));
    await tick();
    assert.deepEqual(checks.started, ['1', '2']);
    await checks.finishOne();
    assert.deepEqual(checks.started, ['1', '2', '3']);
    await checks.finishOne();
    await checks.finishOne();
    assert.deepEqual(await Promise.all(results), ['1', '2', '3']);
  });

  it('answers 503 temporarily_unavailable at once when the wait list is full', async () => {
    const queue = new PasswordCheckQueue(1, 2);
    const checks = new Checks();
    const a = caller('a');
    const results = ['1', '2', '3', '4'].map((n) => outcome(queue.run(a, checks.check(n))));
    // 1 runs, 2 and 3 wait, 4 is refused before anything finished.
    assert.equal(await results[3], '503 temporarily_unavailable');
    for (let i = 0; i < 3; i++) await checks.finishOne();
    assert.deepEqual(await Promise.all(results.slice(0, 3)), ['1', '2', '3']);
  });

  it('starts waiting checks round-robin by source, so a burst from one source does not starve another', async () => {
    const queue = new PasswordCheckQueue(1, 100);
    const checks = new Checks();
    const attacker = caller('attacker');
    const user = caller('user');
    const burst = Array.from({ length: 20 }, (_, i) =>
      outcome(queue.run(attacker, checks.check(`a${i}`))),
    );
    const login = outcome(queue.run(user, checks.check('user')));
    await checks.finishOne();
    await checks.finishOne();
    // a0 started at once; of those that waited, one attacker check, then the user's, not a2.
    assert.deepEqual(checks.started, ['a0', 'a1', 'user']);
    for (let i = 0; i < 19; i++) await checks.finishOne();
    assert.equal(await login, 'user');
    assert.equal((await Promise.all(burst)).length, 20);
  });

  it('makes the source holding the most places give one up to a source holding fewer when full', async () => {
    const queue = new PasswordCheckQueue(1, 3);
    const checks = new Checks();
    const attacker = caller('attacker');
    const user = caller('user');
    const burst = ['a0', 'a1', 'a2', 'a3'].map((n) =>
      outcome(queue.run(attacker, checks.check(n))),
    );
    // a0 runs, a1..a3 fill the wait list; the user takes the newest attacker place.
    const login = outcome(queue.run(user, checks.check('user')));
    assert.equal(await burst[3], '503 temporarily_unavailable');
    // A second check of the attacker finds no fair place: its own source holds the most.
    assert.equal(
      await outcome(queue.run(attacker, checks.check('a4'))),
      '503 temporarily_unavailable',
    );
    for (let i = 0; i < 4; i++) await checks.finishOne();
    assert.equal(await login, 'user');
    assert.deepEqual(checks.started, ['a0', 'a1', 'user', 'a2']);
  });

  it('drops a waiting check whose request was abandoned, without running it', async () => {
    const queue = new PasswordCheckQueue(1, 10);
    const checks = new Checks();
    const first = caller('a');
    const gone = caller('b');
    const running = outcome(queue.run(first, checks.check('1')));
    const dropped = outcome(queue.run(gone, checks.check('2')));
    gone.abandon();
    await checks.finishOne();
    assert.equal(await dropped, 'abandoned');
    assert.equal(await running, '1');
    assert.deepEqual(checks.started, ['1']);
  });

  it('frees the places of abandoned checks before refusing a new one', async () => {
    const queue = new PasswordCheckQueue(1, 1);
    const checks = new Checks();
    const a = caller('a');
    const gone = caller('a');
    void outcome(queue.run(a, checks.check('1')));
    const dropped = outcome(queue.run(gone, checks.check('2')));
    gone.abandon();
    const next = outcome(queue.run(a, checks.check('3')));
    assert.equal(await dropped, 'abandoned');
    await checks.finishOne();
    await checks.finishOne();
    assert.equal(await next, '3');
  });
});
