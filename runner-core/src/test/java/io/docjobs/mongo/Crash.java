package io.docjobs.mongo;

/**
 * Thrown into a queue operation to end it as a crash would (nothing in docjobs catches an Error),
 * through the {@link OperationRunner.Faults} seam: before or after the first try of an operation
 * whose name starts with a given text.
 */
final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    private Crash() {
        super("injected crash", null, false, false);
    }

    /** {@return faults that crash before the first try of {@code operation}} */
    static OperationRunner.Faults before(String operation) {
        return at(operation, false);
    }

    /** {@return faults that crash right after the first try of {@code operation} got its reply} */
    static OperationRunner.Faults after(String operation) {
        return at(operation, true);
    }

    private static OperationRunner.Faults at(String operation, boolean after) {
        return new OperationRunner.Faults() {
            @Override
            public void beforeTry(String op, int attempt) {
                if (!after && op.startsWith(operation)) {
                    throw new Crash();
                }
            }

            @Override
            public void afterTry(String op, int attempt) {
                if (after && op.startsWith(operation)) {
                    throw new Crash();
                }
            }
        };
    }
}
