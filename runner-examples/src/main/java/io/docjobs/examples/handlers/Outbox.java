package io.docjobs.examples.handlers;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory stand-in for a mail server: mails "sent" by {@link SendEmailHandler}, keyed by the
 * id of the job that sent them. Thread-safe; each instance is independent.
 */
public final class Outbox {

    /** One sent mail. */
    public record Mail(String to, String subject, String body) {
        public Mail {
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(body, "body");
        }
    }

    private final Map<String, Mail> sent = new ConcurrentHashMap<>();

    /**
     * Records {@code mail} as sent by job {@code jobId}, unless that job already sent one.
     *
     * @return true if recorded; false if the job had sent a mail already (a redelivery)
     */
    public boolean send(String jobId, Mail mail) {
        // putIfAbsent, not contains-then-put: two deliveries of one job running at once must still
        // send a single mail.
        return sent.putIfAbsent(Objects.requireNonNull(jobId, "jobId"), Objects.requireNonNull(mail, "mail")) == null;
    }

    /** Whether job {@code jobId} has sent its mail. */
    public boolean contains(String jobId) {
        return sent.containsKey(jobId);
    }

    /** The mail job {@code jobId} sent, if any. */
    public Optional<Mail> get(String jobId) {
        return Optional.ofNullable(sent.get(jobId));
    }

    /** How many mails were sent. */
    public int size() {
        return sent.size();
    }

    /** A snapshot of all sent mails by job id. */
    public Map<String, Mail> snapshot() {
        return Map.copyOf(sent);
    }
}
