package io.docjobs.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.bson.BsonDocument;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows inserts into the queue collection with a change stream and reports their types, so idle
 * pollers wake on entries enqueued by other processes instead of waiting out their back-off.
 * Where the server has no change streams (standalone servers, DocumentDB without streams
 * enabled, the embedded server without its oplog) it says so once and stops: polling still works.
 * Any other failure (a fail-over, a network outage) is retried with back-off, resuming after the
 * last insert seen where the server still has it.
 */
final class InsertWatcher {
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** Error codes with which a server refuses to open a change stream at all. */
    private static final Set<Integer> UNSUPPORTED_CODES = Set.of(
            59,     // CommandNotFound
            115,    // CommandNotSupported
            238,    // NotImplemented
            40324,  // Unrecognized pipeline stage name: servers without $changeStream
            40573); // "The $changeStream stage is only supported on replica sets"

    /** Error codes with which a server refuses to resume after a token: the history is gone. */
    private static final Set<Integer> RESUME_POINT_LOST_CODES = Set.of(
            136,    // CappedPositionLost
            260,    // InvalidResumeToken
            280,    // ChangeStreamFatalError ("the resume token was not found")
            286);   // ChangeStreamHistoryLost

    /** What to do after a change stream failed to open or broke. */
    enum Verdict {
        /** The server has no change streams: stop for good. */
        UNAVAILABLE,
        /** The resume point is gone: open a fresh stream at once. */
        START_FRESH,
        /** Transient or unknown: back off and reopen. */
        RETRY
    }

    /** An empty read faster than this means the server does not wait for changes. */
    private static final long SERVER_WAITED_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The pause after such a read: bounds the wake-up latency it adds, and the reads per second. */
    private static final long EMPTY_READ_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** An open change stream of inserts. */
    interface Stream extends AutoCloseable {
        /** Waits a while for the next insert: its entry type, or null if none arrived (or it had none). */
        String nextType();

        /** Where to resume to continue after the inserts seen so far; null while the server gave none. */
        BsonDocument resumeToken();

        @Override
        void close();
    }

    /** Opens a stream of inserts, after {@code resumeToken} if it is not null, else from now. */
    @FunctionalInterface
    interface Opener {
        Stream open(BsonDocument resumeToken);
    }

    /** Waits out a back-off; {@link #close()} interrupts it. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final String queueName;
    private final Opener opener;
    private final Sleeper sleeper;
    private final Logger log;
    private final Consumer<Set<String>> listener;
    private final Thread thread;
    private volatile boolean running = true;
    private boolean opened;
    private int failures;
    private BsonDocument resumeToken;

    InsertWatcher(MongoCollection<Document> entries, String queueName, Consumer<Set<String>> listener) {
        this(queueName, streamsOf(entries), duration -> TimeUnit.NANOSECONDS.sleep(duration.toNanos()),
                LoggerFactory.getLogger(InsertWatcher.class), listener);
    }

    InsertWatcher(String queueName, Opener opener, Sleeper sleeper, Logger log, Consumer<Set<String>> listener) {
        this.queueName = queueName;
        this.opener = opener;
        this.sleeper = sleeper;
        this.log = log;
        this.listener = listener;
        this.thread = new Thread(this::follow, "docjobs-" + queueName + "-change-stream");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Classifies a failure to open ({@code opening}) or to read a change stream. "Not supported"
     * counts only when opening a fresh stream before any stream worked: once streams worked, the
     * same error from a node in an odd state during an election is more likely passing. A codeless
     * command error counts as "not supported" too: MongoDB and DocumentDB always send a code, so it
     * comes from a compatible server without the feature (the embedded server without its oplog).
     */
    static Verdict classify(RuntimeException error, boolean opening, boolean resuming, boolean streamsWorked) {
        if (!(error instanceof MongoCommandException command)) {
            return Verdict.RETRY; // network trouble, no primary reachable, ...
        }
        int code = command.getErrorCode();
        String message = command.getErrorMessage().toLowerCase(Locale.ROOT); // never null: "" without errmsg
        boolean unsupported = UNSUPPORTED_CODES.contains(code) || code == -1
                // DocumentDB, streams not enabled on the collection (it also uses code 136)
                || message.contains("modifychangestreams")
                || (message.contains("change stream") || message.contains("changestream"))
                        && (message.contains("not supported") || message.contains("not enabled"));
        if (resuming && (RESUME_POINT_LOST_CODES.contains(code) || opening && unsupported)) {
            // DocumentDB reports a resume point it no longer has like streams it never had.
            return Verdict.START_FRESH;
        }
        if (opening && !resuming && !streamsWorked && unsupported) {
            return Verdict.UNAVAILABLE;
        }
        return Verdict.RETRY;
    }

    private void follow() {
        Duration backoff = FIRST_BACKOFF;
        while (running) {
            boolean resuming = resumeToken != null;
            Stream stream;
            try {
                stream = opener.open(resumeToken);
            } catch (MongoInterruptedException | IllegalStateException e) {
                return; // closing (the client, if closed first, reports IllegalStateException)
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                Verdict verdict = classify(e, true, resuming, opened);
                if (verdict == Verdict.UNAVAILABLE) {
                    log.info("change streams are not available on {} ({}); idle pollers rely on their back-off",
                            queueName, OperationRunner.describe(e));
                    return;
                }
                if (verdict == Verdict.START_FRESH) {
                    startFresh(e);
                    continue;
                }
                failed(e);
                if (!pause(backoff)) {
                    return;
                }
                backoff = longer(backoff);
                continue;
            }
            try (stream) {
                if (!opened) {
                    log.info("following new entries of {} with a change stream: idle pollers wake at once", queueName);
                    opened = true;
                }
                // Entries inserted before the stream opened, or while it was down, were not seen.
                listener.accept(Set.of());
                boolean read = false;
                while (running) {
                    String type = stream.nextType();
                    if (!read) {
                        read = true;
                        recovered();
                        backoff = FIRST_BACKOFF;
                    }
                    BsonDocument token = stream.resumeToken();
                    if (token != null) {
                        resumeToken = token;
                    }
                    if (type != null) {
                        listener.accept(Set.of(type));
                    }
                }
            } catch (MongoInterruptedException | IllegalStateException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                if (classify(e, false, resumeToken != null, opened) == Verdict.START_FRESH) {
                    // Still back off: a server that keeps losing the history must not be polled in a loop.
                    startFresh(e);
                }
                failed(e);
                if (!pause(backoff)) {
                    return;
                }
                backoff = longer(backoff);
            }
        }
    }

    private void startFresh(RuntimeException e) {
        log.info("change stream of {} cannot resume where it stopped ({}); starting from now",
                queueName, OperationRunner.describe(e));
        resumeToken = null;
    }

    private void failed(RuntimeException e) {
        if (failures++ == 0) {
            log.warn("change stream of {} failed, reopening with back-off (logged again when it works): {}",
                    queueName, OperationRunner.describe(e));
        } else {
            log.debug("change stream of {} failed again: {}", queueName, OperationRunner.describe(e));
        }
    }

    private void recovered() {
        if (failures > 0) {
            log.info("change stream of {} works again after {} failed attempts", queueName, failures);
            failures = 0;
        }
    }

    /** Returns false if interrupted: the watcher is closing. */
    private boolean pause(Duration duration) {
        if (!running) {
            return false;
        }
        try {
            sleeper.sleep(duration);
            return running;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static Duration longer(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    static Opener streamsOf(MongoCollection<Document> entries) {
        return resumeToken -> {
            ChangeStreamIterable<Document> watch = entries
                    .watch(List.of(Aggregates.match(Filters.eq("operationType", "insert"))))
                    .maxAwaitTime(1, TimeUnit.SECONDS);
            if (resumeToken != null) {
                watch = watch.resumeAfter(resumeToken);
            }
            MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = watch.cursor();
            return new Stream() {
                @Override
                public String nextType() {
                    long start = System.nanoTime();
                    ChangeStreamDocument<Document> change = cursor.tryNext();
                    if (change == null && System.nanoTime() - start < SERVER_WAITED_NANOS) {
                        // The server answered at once instead of waiting up to maxAwaitTime (the
                        // embedded server does): pause briefly, or this thread spins a core.
                        LockSupport.parkNanos(EMPTY_READ_PAUSE_NANOS);
                    }
                    Document entry = change == null ? null : change.getFullDocument();
                    return entry != null && entry.get("type") instanceof String type ? type : null;
                }

                @Override
                public BsonDocument resumeToken() {
                    return cursor.getResumeToken();
                }

                @Override
                public void close() {
                    cursor.close();
                }
            };
        };
    }

    /** Whether the watcher thread still runs; for tests. */
    boolean isAlive() {
        return thread.isAlive();
    }

    void close() {
        running = false;
        thread.interrupt();
    }
}
