/**
 * Distributed locks on ZooKeeper: {@link io.github.zkrecipes.locks.ZkLock} (fair, reentrant),
 * {@link io.github.zkrecipes.locks.ZkReadWriteLock} and {@link io.github.zkrecipes.locks.ZkSemaphore}.
 * All three are built on the shared sequential-node queue and hand out handles with a fencing
 * token, a state ({@code HELD}, {@code UNCERTAIN}, {@code LOST}, {@code RELEASED}) and guarded
 * writes.
 */
package io.github.zkrecipes.locks;
