package io.docjobs.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows inserts into the queue collection with a change stream and reports their types, so idle
 * pollers wake on entries enqueued by other processes instead of waiting out their back-off.
 * Where the server has no change streams (standalone servers, DocumentDB without streams
 * enabled, the embedded server without its oplog) it says so once and stops: polling still works.
 */
final class InsertWatcher {
    private static final Logger log = LoggerFactory.getLogger(InsertWatcher.class);

    private final MongoCollection<Document> entries;
    private final String queueName;
    private final Consumer<Set<String>> listener;
    private volatile boolean running = true;
    private final Thread thread;

    InsertWatcher(MongoCollection<Document> entries, String queueName, Consumer<Set<String>> listener) {
        this.entries = entries;
        this.queueName = queueName;
        this.listener = listener;
        this.thread = new Thread(this::follow, "docjobs-" + queueName + "-change-stream");
        thread.setDaemon(true);
        thread.start();
    }

    private void follow() {
        boolean reported = false;
        while (running) {
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = entries
                    .watch(List.of(Aggregates.match(Filters.eq("operationType", "insert"))))
                    .maxAwaitTime(1, TimeUnit.SECONDS).cursor()) {
                if (!reported) {
                    log.info("following new entries of {} with a change stream: idle pollers wake at once", queueName);
                    reported = true;
                }
                // Entries inserted before the stream opened were not seen: have the pollers look once.
                listener.accept(Set.of());
                while (running) {
                    ChangeStreamDocument<Document> change = cursor.tryNext();
                    if (change != null && change.getFullDocument() != null) {
                        String type = change.getFullDocument().getString("type");
                        if (type != null) {
                            listener.accept(Set.of(type));
                        }
                    }
                }
            } catch (MongoCommandException e) {
                if (!running) {
                    return;
                }
                log.info("change streams are not available on {} ({}); idle pollers rely on their back-off", queueName,
                        e.getErrorMessage());
                return;
            } catch (MongoInterruptedException | IllegalStateException e) {
                return; // closing
            } catch (MongoException e) {
                if (!running) {
                    return;
                }
                // A lost stream only costs wake-up latency; start a new one after a pause.
                log.debug("change stream of {} failed, restarting: {}", queueName, e.toString());
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            }
        }
    }

    void close() {
        running = false;
        thread.interrupt();
    }
}
