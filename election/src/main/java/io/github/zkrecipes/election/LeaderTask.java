package io.github.zkrecipes.election;

/**
 * The work an {@link ElectedTask} runs while its candidate leads. Runs on the elected task's own
 * thread, once per term.
 *
 * <p>Return when done (the candidate then resigns and, with {@code requeue}, joins again at the
 * tail). When leadership is lost (or in doubt, by default) the thread is interrupted and {@link
 * LeaderContext#isCancelled()} turns true: stop promptly, and make the writes that must not
 * outlive the term with {@link LeaderContext#guarded}. An exception thrown is logged and kept
 * ({@link ElectedTask#lastTaskFailure()}); it ends the term, never the election.
 */
@FunctionalInterface
public interface LeaderTask {
    void lead(LeaderContext context) throws Exception;
}
