package io.docjobs.examples.handlers;

import io.docjobs.JobContext;
import io.docjobs.JobHandler;
import io.docjobs.JobHandlerProvider;
import io.docjobs.NonRetryableException;
import java.util.Objects;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one mail per job, exactly once per job id even when the job is delivered again.
 *
 * <p>Payload: {@code {"to": "a@example.com", "subject": "...", "body": "..."}}; {@code to} is
 * required, {@code subject} and {@code body} default to empty. A payload without a usable
 * {@code to} is dead-lettered at once ({@link NonRetryableException}): retrying cannot fix it.
 *
 * <p>Idempotence: delivery is at-least-once, so the job id is the key of the send. A job whose id
 * the {@link Outbox} already holds sent its mail on an earlier delivery (whose acknowledgement was
 * lost) and does nothing now.
 */
public final class SendEmailHandler implements JobHandler {
    /** The message type this handler serves. */
    public static final String TYPE = "example.email.send";

    private static final Logger log = LoggerFactory.getLogger(SendEmailHandler.class);

    private final Outbox outbox;

    /** A handler with an outbox of its own. */
    public SendEmailHandler() {
        this(new Outbox());
    }

    /** A handler sending into {@code outbox}, e.g. one a test inspects. */
    public SendEmailHandler(Outbox outbox) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
    }

    /** Where this handler's mails go. */
    public Outbox outbox() {
        return outbox;
    }

    @Override
    public void handle(JobContext job) {
        if (outbox.contains(job.id())) {
            log.info("mail of job {} was sent on an earlier delivery; not sending it again", job.id());
            return;
        }
        Document payload = job.payloadDocument();
        Outbox.Mail mail = new Outbox.Mail(requiredText(job, payload, "to"), optionalText(job, payload, "subject"),
                optionalText(job, payload, "body"));
        if (outbox.send(job.id(), mail)) {
            log.info("sent mail {} to {}", job.id(), mail.to());
        } else {
            log.info("mail of job {} was sent by a concurrent delivery; not sending it again", job.id());
        }
    }

    private static String requiredText(JobContext job, Document payload, String field) {
        Object value = payload.get(field);
        if (!(value instanceof String text) || text.isBlank()) {
            throw new NonRetryableException(TYPE + " job " + job.id() + ": payload field \"" + field + "\" was "
                    + (value == null ? "missing" : "\"" + value + "\"") + " but must be a non-blank recipient address");
        }
        return text;
    }

    private static String optionalText(JobContext job, Document payload, String field) {
        Object value = payload.get(field);
        if (value != null && !(value instanceof String)) {
            throw new NonRetryableException(TYPE + " job " + job.id() + ": payload field \"" + field + "\" was "
                    + value + " (" + value.getClass().getSimpleName() + ") but must be text");
        }
        return value == null ? "" : (String) value;
    }

    /** Registers {@link SendEmailHandler} with the daemon for type {@value #TYPE}. */
    public static final class Provider implements JobHandlerProvider {
        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public JobHandler handler() {
            return new SendEmailHandler();
        }
    }
}
