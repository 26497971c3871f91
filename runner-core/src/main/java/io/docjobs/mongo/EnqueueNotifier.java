package io.docjobs.mongo;

import static io.docjobs.mongo.EntryStore.LOG;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Tells listeners of new entries: those this instance enqueued, at once, and with change streams
 * on, those other processes inserted (through one {@link InsertWatcher}, started by the first
 * listener).
 */
final class EnqueueNotifier implements AutoCloseable {
    private final EntryStore store;
    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();
    private final Object watcherLock = new Object(); // not the list: it is a concurrent collection
    private InsertWatcher watcher; // guarded by watcherLock

    EnqueueNotifier(EntryStore store) {
        this.store = store;
    }

    Runnable onEnqueue(Consumer<Set<String>> listener) {
        Arguments.notNull(listener, "listener");
        listeners.add(listener);
        if (store.config.changeStreams()) {
            synchronized (watcherLock) {
                if (watcher == null) {
                    watcher = new InsertWatcher(store.entries, store.name, this::enqueued);
                }
            }
        }
        return () -> listeners.remove(listener);
    }

    void enqueued(Set<String> types) {
        for (Consumer<Set<String>> listener : listeners) {
            try {
                listener.accept(types);
            } catch (RuntimeException e) {
                LOG.warn("enqueue listener failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        synchronized (watcherLock) {
            if (watcher != null) {
                watcher.close();
            }
        }
    }
}
