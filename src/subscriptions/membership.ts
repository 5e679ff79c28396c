import { isTributaryError, type TributaryError } from '../core/errors.js';
import type { ConsumerState, ConsumerStore, GroupView } from '../store/consumer-store.js';
import type { Checkpoints } from './checkpoints.js';
import type { SettledConsumerOptions } from './consumer-options.js';
import type { PartitionProgress } from './partition-progress.js';
import { assignPartitions } from './partitions.js';
import type { WakeUps } from './wake-ups.js';

export type MembershipStore = Pick<ConsumerStore, 'heartbeat' | 'claim' | 'release' | 'get' | 'leave' | 'watchGroup'>;

export type MembershipOptions = Pick<SettledConsumerOptions, 'name' | 'member' | 'grouped' | 'leaseMs' | 'heartbeatMs' | 'onError'>;

/** What membership asks of the consumer it belongs to. */
export interface MembershipHooks {
  /** The state and read position reported with each heartbeat. */
  report(): { state: ConsumerState; position: number };
  /** Runs after each heartbeat; true when the loop has work waiting (parked events to replay). */
  afterBeat(): Promise<boolean>;
  /** The member took partitions: it is catching up on them. */
  tookPartitions(): void;
  /** The store was closed beneath the consumer: it must end instead of beating against it. */
  storeClosed(error: TributaryError): void;
}

/**
 * A consumer's place in its group. It renews the member's lease every
 * `heartbeatMs`, works out from each heartbeat which partitions the member
 * should hold (`assignPartitions`), and lets partitions go and takes others
 * when the loop is between events. A partition moves only once its holder
 * has saved its checkpoint and let go, or its lease ran out, so each stream
 * stays in order. Where the store tells of group changes (`watchGroup`), a
 * member beats at once when another joins, leaves or lets go, instead of at
 * its next heartbeat. A lone consumer beats too (status shows it) and holds
 * its one partition without claiming it.
 */
export class Membership {
  readonly #store: MembershipStore;
  readonly #progress: PartitionProgress;
  readonly #checkpoints: Checkpoints;
  readonly #wakeUps: WakeUps;
  readonly #options: MembershipOptions;
  readonly #hooks: MembershipHooks;
  readonly #stopping: AbortSignal;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #unwatch: (() => void) | undefined;
  /** A group change was signalled that no beat started since has seen. */
  #changed = false;
  #following: Promise<void> | undefined;
  #leaseUntil = 0;
  /** The share the last heartbeat asked for, and who held what then, until the loop moves to it. */
  #wanted: { share: number[]; owners: (string | null)[] } | undefined;
  /** While part of its share is still held by others, the member looks again soon, until this time. */
  #waitingUntil: number | undefined;

  /** `stopping` aborts when the consumer stops; `now` is a monotonic clock in milliseconds. */
  constructor(
    parts: { store: MembershipStore; progress: PartitionProgress; checkpoints: Checkpoints; wakeUps: WakeUps; stopping: AbortSignal },
    options: MembershipOptions,
    hooks: MembershipHooks,
    now: () => number = () => performance.now(),
  ) {
    this.#store = parts.store;
    this.#progress = parts.progress;
    this.#checkpoints = parts.checkpoints;
    this.#wakeUps = parts.wakeUps;
    this.#stopping = parts.stopping;
    this.#options = options;
    this.#hooks = hooks;
    this.#now = now;
  }

  /**
   * Joins the group: the first heartbeat answers who holds what, and the free
   * partitions of this member's share are taken before this returns. The rest
   * of its share comes as their holders let go.
   */
  async join(): Promise<void> {
    if (this.#options.grouped) this.#unwatch = this.#store.watchGroup?.(this.#options.name, () => this.#groupChanged());
    await this.#beat();
    // the loop meets a failed take again, and deals with it
    await this.moveToShare().catch(() => undefined);
    this.#schedule();
  }

  /** True while the member should stop handling events to move to a new share. */
  get reassigning(): boolean {
    return this.#wanted !== undefined;
  }

  /** A member handles events only while its lease lasts: after that its partitions may be someone else's. */
  mayHandle(): boolean {
    if (this.#progress.owned.size === 0) return false;
    return !this.#options.grouped || this.#now() < this.#leaseUntil;
  }

  /** Beats now rather than at the next heartbeat (a state change to report), unless a beat is under way; settles when it is done. */
  beatSoon(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  /** Lets go of the partitions no longer this member's (saving their checkpoints first), drops those it lost, and takes the new ones. */
  async moveToShare(): Promise<void> {
    const wanted = this.#wanted;
    if (wanted === undefined || !this.#options.grouped) return;
    this.#wanted = undefined;
    try {
      await this.#moveTo(wanted);
    } catch (error) {
      this.#wanted ??= wanted;
      throw error;
    }
  }

  /** Stops beating and listening for group changes, after the beat under way. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#unwatch?.();
    this.#unwatch = undefined;
    await this.#following;
    await this.#beating;
  }

  /** Leaves the group: the member is removed and its partitions released. */
  leave(): Promise<void> {
    return this.#store.leave(this.#options.name, this.#options.member);
  }

  async #moveTo({ share: wanted, owners }: { share: readonly number[]; owners: readonly (string | null)[] }): Promise<void> {
    const { name, member } = this.#options;
    const progress = this.#progress;
    // taken over while this member's lease had lapsed: no longer its own (one released meanwhile is claimed again below)
    for (const partition of [...progress.owned]) if (![null, member].includes(owners[partition] ?? null)) progress.drop(partition);
    const leaving = [...progress.owned].filter((partition) => !wanted.includes(partition));
    if (leaving.length > 0) {
      await this.#checkpoints.saveBeforeRelease(leaving);
      for (const partition of leaving) progress.drop(partition);
      await this.#store.release(name, member, leaving);
    }
    if (wanted.every((partition) => progress.owned.has(partition) && owners[partition] === member)) return;
    const held = await this.#store.claim(name, member, wanted);
    // taken over since the heartbeat, while this member's lease had lapsed
    for (const partition of [...progress.owned]) if (!held.includes(partition)) progress.drop(partition);
    const taken = held.filter((partition) => !progress.owned.has(partition));
    if (taken.length === 0) return;
    const record = await this.#store.get(name);
    for (const partition of taken) progress.take(partition, record?.partitions[partition]?.checkpoint ?? 0);
    this.#hooks.tookPartitions();
  }

  #schedule(): void {
    if (this.#stopping.aborted) return;
    const { heartbeatMs } = this.#options;
    // the holders let go at their next heartbeat: look often until then, to take the partitions the moment they are free
    const waiting = this.#waitingUntil !== undefined && this.#now() < this.#waitingUntil;
    this.#timer = setTimeout(
      () => void this.beatSoon().finally(() => this.#schedule()),
      waiting ? Math.max(1, Math.floor(heartbeatMs / WAITING_BEATS)) : heartbeatMs,
    );
  }

  #groupChanged(): void {
    if (this.#stopping.aborted) return;
    this.#changed = true;
    this.#following ??= this.#followChanges().finally(() => (this.#following = undefined));
  }

  /** Beats once after a burst of signals, never beside another beat: one under way may have read the group before the change. */
  async #followChanges(): Promise<void> {
    while (this.#changed && !this.#stopping.aborted) {
      await this.#beating;
      this.#changed = false;
      await this.beatSoon();
    }
  }

  /** Renews the lease and reports; in a group, looks whether this member's share changed. */
  async #beat(): Promise<void> {
    const { name, member, leaseMs, grouped } = this.#options;
    const startedAt = this.#now();
    try {
      const group = await this.#store.heartbeat(name, { member, ...this.#hooks.report(), leaseMs });
      // before the lease is renewed: the loop must not handle a partition this beat shows lost
      if (grouped) this.#wanted = this.#reassignment(group) ?? this.#wanted;
      // measured on this process's monotonic clock from before the store stamped the lease: it ends first, whatever the clocks say
      this.#leaseUntil = startedAt + leaseMs;
      const work = await this.#hooks.afterBeat();
      if (this.#wanted !== undefined || work || !this.mayHandle()) this.#wakeUps.wake();
    } catch (error) {
      if (isTributaryError(error, 'STORE_CLOSED')) this.#hooks.storeClosed(error);
      else this.#options.onError(error);
    }
  }

  /** This member's share when the beat shows something to do about it: partitions to let go or lost, or free ones to take. */
  #reassignment(group: GroupView): { share: number[]; owners: (string | null)[] } | undefined {
    const { member, heartbeatMs } = this.#options;
    const share = assignPartitions(group.members.map((record) => record.member), group.owners).get(member) ?? [];
    const owned = this.#progress.owned;
    const letGo = [...owned].some((partition) => !share.includes(partition) || group.owners[partition] !== member);
    const take = share.some((partition) => !owned.has(partition) && (group.owners[partition] ?? member) === member);
    const heldByOthers = share.some((partition) => !owned.has(partition) && ![null, member].includes(group.owners[partition] ?? null));
    if (!heldByOthers) this.#waitingUntil = undefined;
    else this.#waitingUntil ??= this.#now() + 2 * heartbeatMs;
    return letGo || take ? { share, owners: group.owners } : undefined;
  }
}

// beats per heartbeat while part of a member's share is still held by others
const WAITING_BEATS = 10;
