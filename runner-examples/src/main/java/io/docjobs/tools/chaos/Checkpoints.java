package io.docjobs.tools.chaos;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.bson.Document;

/**
 * The progress of long chaos jobs ({@value #COLLECTION}: {@code {_id: job id, doneMs: n}}), as a
 * real long job would checkpoint it: an execution saves how far it got about once a second, and the
 * next execution of the job (after a kill, a pause, a lost lease) resumes from there instead of
 * starting over. Without it, a job longer than a daemon's life between two kills would never end.
 * Progress only grows ({@code $max}): a stale execution cannot move it back. A failed read or save
 * (the database restarting) costs progress, never correctness: the work is then done again.
 */
final class Checkpoints {
    /** The collection, in the queue's database. */
    static final String COLLECTION = "chaos_progress";
    private static final String DONE_MS = "doneMs";
    private static final long SAVE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MongoCollection<Document> progress;
    private final LongSupplier nanos;

    /** @param nanos the monotonic clock ({@code System::nanoTime}) that spaces the saves */
    Checkpoints(MongoCollection<Document> progress, LongSupplier nanos) {
        this.progress = progress;
        this.nanos = nanos;
    }

    /** How much of job {@code id}'s work earlier executions saved; zero if none, or if the read failed. */
    Duration saved(String id) {
        try {
            Document saved = progress.find(Filters.eq("_id", id)).first();
            return saved == null ? Duration.ZERO : Duration.ofMillis(((Number) saved.get(DONE_MS)).longValue());
        } catch (MongoException e) {
            return Duration.ZERO;
        }
    }

    /** Saves the progress of one execution that resumed from {@code from}; call it as the work goes on. */
    Saver saver(String id, Duration from) {
        return new Saver(id, from.toMillis());
    }

    /** Saves one execution's progress at most about once a second. Not thread-safe: the handler's thread. */
    final class Saver {
        private final String id;
        private final long fromMillis;
        private long lastSave = nanos.getAsLong();

        private Saver(String id, long fromMillis) {
            this.id = id;
            this.fromMillis = fromMillis;
        }

        /** Notes that this execution has done {@code workedMillis} of its part; saves if a second passed. */
        void worked(long workedMillis) {
            long now = nanos.getAsLong();
            if (now - lastSave < SAVE_EVERY_NANOS) {
                return;
            }
            lastSave = now;
            try {
                progress.updateOne(Filters.eq("_id", id), Updates.max(DONE_MS, fromMillis + workedMillis),
                        new UpdateOptions().upsert(true));
            } catch (MongoException e) {
                // The database is away: this stretch is done again by the next execution if there is one.
            }
        }
    }
}
