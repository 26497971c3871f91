package io.docjobs.examples.handlers;

import io.docjobs.Backoff;
import io.docjobs.HandlerOptions;
import io.docjobs.JobContext;
import io.docjobs.JobHandler;
import io.docjobs.JobHandlerProvider;
import io.docjobs.NonRetryableException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Charges an account through a simulated payment gateway, telling failures worth retrying from
 * failures no retry can fix.
 *
 * <p>Payload: {@code {"account": "acct-1", "amountCents": 1250}}. The simulated gateway:
 * <ul>
 *   <li>accounts starting with {@code flaky-} time out ({@link GatewayTimeoutException}, retried)
 *       on attempts 1 and 2 and succeed on attempt 3;</li>
 *   <li>accounts starting with {@code closed-} are refused ({@link NonRetryableException}:
 *       dead-lettered at once);</li>
 *   <li>everything else is charged.</li>
 * </ul>
 * An amount of zero or less is refused with {@link NonRetryableException}. A malformed payload
 * (missing account, amount not a whole number) throws {@link IllegalArgumentException}, which
 * {@link #recommendedOptions()} declares non-retryable: register the handler with those options.
 *
 * <p>Idempotence: the job id is the charge's idempotency key, as with real payment APIs. A
 * redelivered job finds its charge in this handler's ledger and does not charge again.
 */
public final class ChargePaymentHandler implements JobHandler {
    /** The message type this handler serves. */
    public static final String TYPE = "example.payment.charge";

    private static final Logger log = LoggerFactory.getLogger(ChargePaymentHandler.class);

    /** One charge made: what was charged, and on which attempt of its job. */
    public record Charge(String account, long amountCents, int attempt) {
    }

    /** The simulated gateway did not answer in time: a transient failure, so the job is retried. */
    public static final class GatewayTimeoutException extends RuntimeException {
        public GatewayTimeoutException(String message) {
            super(message);
        }
    }

    /** Charges by job id: the gateway's idempotency-key store, private to this handler instance. */
    private final Map<String, Charge> ledger = new ConcurrentHashMap<>();

    /**
     * Options that make a malformed payload ({@link IllegalArgumentException}) dead-letter at once
     * and retry gateway time-outs quickly: 200 ms, doubling, ±50 %, at most 5 s.
     */
    public static HandlerOptions recommendedOptions() {
        return HandlerOptions.builder()
                .nonRetryable(IllegalArgumentException.class)
                .backoff(Backoff.exponential().initial(Duration.ofMillis(200)).max(Duration.ofSeconds(5)))
                .build();
    }

    @Override
    public void handle(JobContext job) {
        if (ledger.containsKey(job.id())) {
            log.info("payment {} was charged on an earlier delivery; not charging again", job.id());
            return;
        }
        Document payload = job.payloadDocument();
        String account = account(job, payload);
        long amountCents = amountCents(job, payload);
        if (amountCents <= 0) {
            throw new NonRetryableException(TYPE + " job " + job.id() + ": amountCents was " + amountCents
                    + " but must be positive; refunds are not charges");
        }
        if (account.startsWith("closed-")) {
            throw new NonRetryableException("account " + account + " is closed; " + TYPE + " job " + job.id()
                    + " can never succeed");
        }
        if (account.startsWith("flaky-") && job.attempt() <= 2) {
            throw new GatewayTimeoutException("gateway timed out charging account " + account + " on attempt "
                    + job.attempt() + " of job " + job.id());
        }
        // Recording the charge is the charge here; putIfAbsent keeps two concurrent deliveries to one.
        if (ledger.putIfAbsent(job.id(), new Charge(account, amountCents, job.attempt())) == null) {
            log.info("charged {} cents to {} (job {}, attempt {})", amountCents, account, job.id(), job.attempt());
        }
    }

    /** How many jobs have charged. */
    public int chargedCount() {
        return ledger.size();
    }

    /** The charge job {@code jobId} made, if any. */
    public Optional<Charge> charge(String jobId) {
        return Optional.ofNullable(ledger.get(jobId));
    }

    /** A snapshot of the ledger by job id. */
    public Map<String, Charge> charges() {
        return Map.copyOf(ledger);
    }

    private static String account(JobContext job, Document payload) {
        Object value = payload.get("account");
        if (!(value instanceof String account) || account.isBlank()) {
            throw new IllegalArgumentException(TYPE + " job " + job.id() + ": payload field \"account\" was "
                    + (value == null ? "missing" : "\"" + value + "\"") + " but must be a non-blank account id");
        }
        return account;
    }

    private static long amountCents(JobContext job, Document payload) {
        Object value = payload.get("amountCents");
        if (!(value instanceof Integer || value instanceof Long)) {
            throw new IllegalArgumentException(TYPE + " job " + job.id() + ": payload field \"amountCents\" was "
                    + (value == null ? "missing" : value + " (" + value.getClass().getSimpleName() + ")")
                    + " but must be a whole number of cents");
        }
        return ((Number) value).longValue();
    }

    /** Registers {@link ChargePaymentHandler} with the daemon for type {@value #TYPE}, with {@link #recommendedOptions()}. */
    public static final class Provider implements JobHandlerProvider {
        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public JobHandler handler() {
            return new ChargePaymentHandler();
        }

        @Override
        public HandlerOptions options() {
            return recommendedOptions();
        }
    }
}
