package io.github.zkrecipes.samples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A library that fails or hangs in a scenario is reported in the comparison, and the others still
 * run: seen with Curator's double barrier, whose parties once hung and stopped a whole CI run.
 */
class ComparisonTest {

    /** Our barrier, except that one party's third enter fails, as a stuck Curator barrier does after its timeout. */
    private static final RecipeClient.Factory BROKEN = new RecipeClient.Factory() {
        private final AtomicInteger clients = new AtomicInteger();

        @Override
        public String name() {
            return "broken";
        }

        @Override
        public RecipeClient connect(String connectString) throws Exception {
            RecipeClient real = ZkRecipesClient.FACTORY.connect(connectString);
            boolean failing = clients.incrementAndGet() % 3 == 1;
            return new RecipeClient() {
                @Override
                public Mutex lock(String path) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public ReadWrite readWrite(String path) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Mutex semaphore(String path, int permits) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Barrier doubleBarrier(String path, int parties) {
                    Barrier b = real.doubleBarrier(path, parties);
                    AtomicInteger rounds = new AtomicInteger();
                    return new Barrier() {
                        @Override
                        public void enter() throws Exception {
                            if (failing && rounds.incrementAndGet() == 3) {
                                throw new IllegalStateException("stuck in enter (simulated)");
                            }
                            b.enter();
                        }

                        @Override
                        public void leave() throws Exception {
                            b.leave();
                        }
                    };
                }

                @Override
                public Member join(String path, String id) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        }
    };

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aLibraryThatFailsIsReportedAndTheOthersStillRun() throws Exception {
        Comparison c = new Comparison(List.of(ZkRecipesClient.FACTORY, BROKEN), List.of(Scenario.doubleBarrier(3)),
                Duration.ofMillis(500), 1, null).run();

        assertEquals(List.of(), c.failures("barrier-3", "zk-recipes"));
        assertTrue(c.median("barrier-3", "zk-recipes", Result::perSecond) > 0);
        List<String> failed = c.failures("barrier-3", "broken");
        assertEquals(1, failed.size(), failed.toString());
        assertTrue(failed.get(0).contains("stuck in enter (simulated)"), failed.get(0));
        assertTrue(Double.isNaN(c.median("barrier-3", "broken", Result::perSecond)));
        String table = c.table();
        assertTrue(table.contains("broken") && table.contains("failed in 1 of 1"), table);
        assertFalse(table.contains("zk-recipes    failed"), table);
    }
}
