package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static io.docjobs.mongo.Entries.TYPE;

import io.docjobs.JobRequest;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.bson.conversions.Bson;
import org.jspecify.annotations.Nullable;

/** Argument checks shared by the queue's parts; each message names the argument, its value and the rule. */
final class Arguments {
    static final int MAX_PAGE = 1_000;
    static final int MAX_BATCH = 1_000;

    private Arguments() {
    }

    /**
     * {@code value}, or an {@link IllegalArgumentException} naming {@code name} if it is null: bad
     * arguments are {@code IllegalArgumentException}s throughout docjobs, nulls included.
     */
    static <T> T notNull(@Nullable T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " was null but must be given");
        }
        return value;
    }

    static Set<String> checkTypes(Collection<String> types) {
        if (types == null || types.isEmpty()) {
            throw new IllegalArgumentException("types was " + types + " but must name at least one message type");
        }
        Set<String> set = new HashSet<>();
        for (String type : types) {
            if (type == null || type.isBlank()) {
                throw new IllegalArgumentException("types contained " + (type == null ? "null" : "a blank type")
                        + " but every type must be a non-blank message type");
            }
            set.add(type);
        }
        return Set.copyOf(set);
    }

    static void checkWorker(String workerId) {
        if (workerId == null || workerId.isBlank()) {
            throw new IllegalArgumentException("workerId was " + (workerId == null ? "null" : "blank")
                    + " but must name the worker, e.g. host-pid-thread");
        }
    }

    static void checkExtension(Duration duration) {
        if (duration == null || duration.isNegative() || duration.isZero() || duration.compareTo(JobRequest.MAX_VISIBILITY_TIMEOUT) > 0) {
            throw new IllegalArgumentException("duration was " + duration + " but must be positive and at most "
                    + JobRequest.MAX_VISIBILITY_TIMEOUT);
        }
    }

    /** A page size of the admin reads. */
    static void checkLimit(int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit was " + limit + " but must be between 1 and " + MAX_PAGE);
        }
    }

    /** {@code filter} for entries of {@code type}; null means all types. */
    static Bson withType(Bson filter, String type) {
        return type == null ? filter : and(filter, eq(TYPE, type));
    }
}
