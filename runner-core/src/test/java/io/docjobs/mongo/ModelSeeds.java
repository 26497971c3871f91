package io.docjobs.mongo;

import java.util.stream.LongStream;

/**
 * The seeds a model test runs: {@code -Ddocjobs.model.seed=S} runs S alone (to reproduce a failure it
 * printed), {@code -Ddocjobs.model.seeds=N} the first N (the mutation run: each mutant repeats them),
 * otherwise all of them.
 */
final class ModelSeeds {
    private ModelSeeds() {
    }

    static LongStream of(long... seeds) {
        String seed = System.getProperty("docjobs.model.seed");
        return seed != null ? LongStream.of(Long.parseLong(seed))
                : LongStream.of(seeds).limit(Integer.getInteger("docjobs.model.seeds", seeds.length));
    }
}
