package io.docjobs.mongo;

import com.mongodb.MongoConnectionPoolClearedException;
import com.mongodb.MongoException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import java.util.Set;

/** Tells transient database failures (worth retrying) from permanent ones. */
final class TransientErrors {

    /**
     * Server error codes that mean "try again": network trouble, shutdown, elections. The same set
     * the MongoDB drivers use for retryable writes; DocumentDB reports the same codes on failover.
     */
    private static final Set<Integer> TRANSIENT_CODES = Set.of(
            6,      // HostUnreachable
            7,      // HostNotFound
            89,     // NetworkTimeout
            91,     // ShutdownInProgress
            189,    // PrimarySteppedDown
            262,    // ExceededTimeLimit
            9001,   // SocketException
            10107,  // NotWritablePrimary
            11600,  // InterruptedAtShutdown
            11602,  // InterruptedDueToReplStateChange
            13435,  // NotPrimaryNoSecondaryOk
            13436); // NotPrimaryOrSecondary

    private TransientErrors() {
    }

    static boolean isTransient(Throwable error) {
        // The pool-cleared error is what an operation gets when another one just failed on the same
        // server; the driver counts it as retryable but labels it RetryableWriteError only for writes
        // with retryWrites on (DocumentDB needs retryWrites=false), so classify it by type.
        if (error instanceof MongoSocketException || error instanceof MongoTimeoutException
                || error instanceof MongoNotPrimaryException || error instanceof MongoNodeIsRecoveringException
                || error instanceof MongoConnectionPoolClearedException) {
            return true;
        }
        if (error instanceof MongoException mongo) {
            return mongo.hasErrorLabel(MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL)
                    || mongo.hasErrorLabel("RetryableWriteError")
                    || TRANSIENT_CODES.contains(mongo.getCode());
        }
        return false;
    }
}
