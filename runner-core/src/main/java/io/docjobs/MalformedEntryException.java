package io.docjobs;

/**
 * Why an entry was quarantined: it does not follow the entry schema (a field a producer must
 * write is missing or mistyped, or it names a newer schema version). The queue never throws it to
 * callers; it records its class name and message as the last error of the dead letter the entry
 * becomes, so quarantined entries can be told apart from jobs that failed.
 */
public class MalformedEntryException extends DocJobsException {
    /** @param message which field breaks the schema, and how */
    public MalformedEntryException(String message) {
        super(message);
    }
}
