package io.github.zkrecipes.samples.bench;

/**
 * What a benchmark scenario drives: one client (one ZooKeeper session) of some recipe library.
 * Implemented for zk-recipes by {@link ZkRecipesClient}, and for Curator's recipes by the
 * benchmark suite in {@code it/} (which alone may depend on {@code curator-recipes}), so that both
 * run the very same scenario code.
 *
 * <p>Handles returned by a client are used by one thread each: a scenario creates one per worker.
 */
public interface RecipeClient extends AutoCloseable {

    /** Something acquired and released by the same thread. */
    interface Mutex {
        void acquire() throws Exception;

        void release() throws Exception;
    }

    /** A read-write lock's two sides. */
    interface ReadWrite {
        Mutex read();

        Mutex write();
    }

    /** An exclusive lock on {@code path}. */
    Mutex lock(String path);

    /** A read-write lock on {@code path}. */
    ReadWrite readWrite(String path);

    /** One permit of a semaphore of {@code permits} on {@code path}. */
    Mutex semaphore(String path, int permits);

    /** A double barrier's two waits, for one participant. */
    interface Barrier {
        void enter() throws Exception;

        void leave() throws Exception;
    }

    /** One participant of a double barrier of {@code parties} on {@code path}. */
    Barrier doubleBarrier(String path, int parties);

    /** A group member that also sees the group. */
    interface Member extends AutoCloseable {
        /** Waits until the group's members, as this member sees them, include {@code id} or not. */
        void awaitSeen(String id, boolean present) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** Joins the group at {@code path} as {@code id}, ready to see the others. */
    Member join(String path, String id) throws Exception;

    /**
     * Joins the group at {@code path} as {@code id} without watching it (the joiner whose join
     * the others time). A recipe whose members always see the group may join as {@link #join}.
     */
    default AutoCloseable joinOnly(String path, String id) throws Exception {
        return join(path, id);
    }

    /** Closes the client's session. */
    @Override
    void close();

    /** Makes clients of one library. */
    interface Factory {
        /** The library's name in reports ("zk-recipes", "curator"). */
        String name();

        /** A new client with a session of its own on {@code connectString}, connected. */
        RecipeClient connect(String connectString) throws Exception;
    }
}
