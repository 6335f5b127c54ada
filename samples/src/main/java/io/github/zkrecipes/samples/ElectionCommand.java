package io.github.zkrecipes.samples;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.ElectionState;
import io.github.zkrecipes.election.Leadership;
import io.github.zkrecipes.election.ZkElection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zkr election}: one candidate of a leader election ({@link ZkElection}). Each round it
 * waits to lead, leads for {@code --hold} with its term's epoch, then resigns, which puts it at
 * the tail of the candidates: with several terminals, leadership goes round in arrival order and
 * every new term has a larger epoch. One {@link Candidacy} serves every round; it is closed at the
 * end (or when a round is not granted in time), so nothing is left in the election.
 */
@Command(name = "election",
        description = {
            "Campaign in a leader election, lead with an epoch, resign; print each state change with a timestamp.",
            "%nRun it in several terminals with the same --connect and --path: candidates lead in arrival order, "
                    + "a resigning leader goes to the back, and every term has a larger epoch than the one before.%n"})
final class ElectionCommand extends ParticipantCommand {
    @Option(names = "--path", paramLabel = "<znode>", defaultValue = "/zkr/election",
            description = "The election's directory (default: ${DEFAULT-VALUE}).")
    String path;

    private Candidacy candidacy;

    @Override
    String path() {
        return path;
    }

    @Override
    String what() {
        return "leadership of " + path;
    }

    @Override
    String fenceName() {
        return "epoch";
    }

    @Override
    String grantedLine(Held held, String waited) {
        return String.format("LEADING %s, epoch 0x%x, after %s: %s", path, held.fence(), waited, held.path());
    }

    @Override
    String heldBy() {
        return "led by";
    }

    @Override
    String releasedWord() {
        return "resigned";
    }

    @Override
    String releaseVerb() {
        return "resigns";
    }

    @Override
    Optional<Held> acquire(ZkSession session, Duration timeout) throws InterruptedException {
        if (candidacy == null) {
            // The first round joins; later rounds find the candidacy already re-joined by resign().
            candidacy = new ZkElection(session, path).candidacy();
            candidacy.addListener(e -> {
                if (e.state() == ElectionState.FAILED) {
                    print("FAILED: %s", e.cause() == null ? "?" : oneLine(e.cause()));
                }
            });
            candidacy.start();
        }
        Optional<Leadership> term = timeout == null ? Optional.of(candidacy.awaitLeadership())
                : candidacy.awaitLeadership(timeout);
        if (term.isEmpty()) {
            candidacy.close(); // "nothing left queued": our candidate node goes now
            candidacy = null;
        }
        return term.map(Holding::of);
    }

    @Override
    Queue queue(ZkSession session) throws InterruptedException {
        List<RecipeNode> candidates = new ZkElection(session, path).candidates();
        return new Queue(candidates, candidates.isEmpty() ? 0 : 1);
    }

    @Override
    void finished(ZkSession session) {
        if (candidacy != null) {
            candidacy.close(); // leaves the election instead of waiting at the tail for the session to end
        }
    }
}
