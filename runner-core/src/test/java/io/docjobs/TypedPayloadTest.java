package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Records and POJOs as payloads, through the driver's codecs, on the embedded server. */
class TypedPayloadTest {
    private static EmbeddedMongo mongo;

    private JobQueue queue;
    private String collection;

    /** A record with a nested record, a list, a date and an enum; public, as the driver's record codec needs. */
    public record Order(String orderId, int quantity, List<String> tags, Instant placedAt, Customer customer, Channel channel) {
    }

    public record Customer(String name, long number) {
    }

    public enum Channel { WEB, PHONE }

    /** A bean: public no-argument constructor, getters and setters. */
    public static final class Invoice {
        private String number;
        private double amount;
        private boolean paid;

        public Invoice() {
        }

        Invoice(String number, double amount, boolean paid) {
            this.number = number;
            this.amount = amount;
            this.paid = paid;
        }

        public String getNumber() {
            return number;
        }

        public void setNumber(String number) {
            this.number = number;
        }

        public double getAmount() {
            return amount;
        }

        public void setAmount(double amount) {
            this.amount = amount;
        }

        public boolean isPaid() {
            return paid;
        }

        public void setPaid(boolean paid) {
            this.paid = paid;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Invoice that && Objects.equals(number, that.number) && amount == that.amount
                    && paid == that.paid;
        }

        @Override
        public int hashCode() {
            return Objects.hash(number, amount, paid);
        }
    }

    private static final Order ORDER = new Order("o-42", 3, List.of("gift", "express"),
            Instant.parse("2026-11-30T12:00:00Z"), new Customer("Ada", 7L), Channel.PHONE);

    @BeforeAll
    static void startServer() {
        mongo = new EmbeddedMongo();
    }

    @AfterAll
    static void stopServer() {
        mongo.close();
    }

    @BeforeEach
    void openQueue() {
        collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).changeStreams(false).build());
    }

    @AfterEach
    void closeQueue() {
        queue.close();
        mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection).drop();
    }

    private Lease claimOne() {
        return queue.claim(Set.of("order", "invoice"), "w").orElseThrow();
    }

    @Test
    void aRecordRoundTripsAsAQueryableDocument() {
        EnqueueResult result = queue.enqueue("order", ORDER);

        Lease lease = claimOne();
        assertThat(result.isInserted()).isTrue();
        assertThat(lease.payloadAs(Order.class)).isEqualTo(ORDER);
        assertThat(lease.hasDocumentPayload()).as("stored as a document, not as text").isTrue();
        assertThat(lease.payloadDocument().get("customer", Document.class).getString("name")).isEqualTo("Ada");
        assertThat(lease.payloadDocument().getString("channel")).isEqualTo("PHONE");
    }

    @Test
    void aPojoRoundTrips() {
        Invoice invoice = new Invoice("inv-7", 12.5, true);

        queue.enqueue("invoice", invoice);

        assertThat(claimOne().payloadAs(Invoice.class)).isEqualTo(invoice);
    }

    @Test
    void theBuilderTakesTypedPayloadsWithTheOtherSettings() {
        JobRequest request = JobRequest.builder("order").payload((Object) ORDER).priority(5).dedupKey("o-42").build();

        assertThat(request.payloadDocument().getString("orderId")).isEqualTo("o-42");
        assertThat(request.payloadText()).isNull();
        queue.enqueue(request);
        Lease lease = claimOne();
        assertThat(lease.priority()).isEqualTo(5);
        assertThat(lease.payloadAs(Order.class)).isEqualTo(ORDER);
    }

    @Test
    void stringAndDocumentPassedAsObjectsKeepTheirOwnForms() {
        JobRequest text = JobRequest.builder("t").payload((Object) "plain text").build();
        JobRequest document = JobRequest.builder("t").payload((Object) new Document("a", 1)).build();

        assertThat(text.payloadText()).isEqualTo("plain text");
        assertThat(text.payloadDocument()).isNull();
        assertThat(document.payloadDocument()).isEqualTo(new Document("a", 1));
        assertThat(document.payloadText()).isNull();
    }

    @Test
    void textAndDocumentPayloadsReadAsThemselves() {
        queue.enqueue("order", "just text", Duration.ofMinutes(1));
        Lease text = claimOne();
        queue.enqueue("order", new Document("orderId", "o-1"), Duration.ofMinutes(1));
        Lease document = claimOne();

        assertThat(text.payloadAs(String.class)).isEqualTo("just text");
        assertThat(document.payloadAs(Document.class)).isEqualTo(new Document("orderId", "o-1"));
        assertThat(document.payloadAs(String.class)).isEqualTo(document.payload());
    }

    @Test
    void aJsonTextPayloadDecodesToo() {
        queue.enqueue("invoice", "{\"number\": \"inv-1\", \"amount\": 3.0, \"paid\": false}", Duration.ofMinutes(1));

        assertThat(claimOne().payloadAs(Invoice.class)).isEqualTo(new Invoice("inv-1", 3.0, false));
    }

    @Test
    void aFieldOfTheWrongTypeIsANonRetryableErrorNamingJobTypeClassAndField() {
        String id = queue.enqueue("order", new Document("orderId", "o-1").append("quantity", "three"),
                Duration.ofMinutes(1));

        assertThatThrownBy(() -> claimOne().payloadAs(Order.class))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("payload of job " + id + " (type \"order\") does not map to " + Order.class.getName())
                .hasMessageContaining("field \"quantity\" holds a string that does not decode as int");
    }

    @Test
    void aMissingPrimitiveFieldIsNamed() {
        queue.enqueue("order", new Document("orderId", "o-1"), Duration.ofMinutes(1));

        assertThatThrownBy(() -> claimOne().payloadAs(Order.class))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("field \"quantity\" is missing but int quantity needs a value");
    }

    @Test
    void aPojoFieldOfTheWrongTypeIsNamed() {
        queue.enqueue("invoice", new Document("number", 12), Duration.ofMinutes(1));

        assertThatThrownBy(() -> claimOne().payloadAs(Invoice.class))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("does not map to " + Invoice.class.getName())
                .hasMessageContaining("Decoding 'number' errored with");
    }

    @Test
    void textThatIsNotJsonCannotDecode() {
        queue.enqueue("order", "not json", Duration.ofMinutes(1));

        assertThatThrownBy(() -> claimOne().payloadAs(Order.class))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("is text, not a JSON object")
                .hasMessageContaining(Order.class.getName());
    }

    @Test
    void aValueThatIsNoDocumentIsRejectedBeforeEnqueueing() {
        assertThatThrownBy(() -> queue.enqueue("order", 42))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("payload of job type \"order\" (a java.lang.Integer) cannot be encoded as a BSON document");
        assertThat(queue.stats().byType()).as("nothing was inserted").isEmpty();
    }

    private record Hidden(String name) {
    }

    @Test
    void aClassTheCodecsCannotReachIsNamedAsNotPublic() {
        assertThatThrownBy(() -> queue.enqueue("order", new Hidden("x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Hidden.class.getName() + " is not public: the driver's codecs need public classes");
    }

    @Test
    void aHandlerWhosePayloadDoesNotMapDeadLettersTheJobWithoutRetrying() {
        String id = queue.enqueue(JobRequest.builder("order").payload(new Document("quantity", "three")).maxAttempts(5)
                .build()).id();
        AtomicInteger runs = new AtomicInteger();

        try (Supervisor supervisor = Supervisor.builder(queue).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
                .handle("order", job -> {
                    runs.incrementAndGet();
                    job.payloadAs(Order.class);
                }).build().start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> queue.get(id).map(JobEntry::state).orElse(null) == JobState.DEAD);
        }

        JobEntry dead = queue.get(id).orElseThrow();
        assertThat(runs).as("not retried").hasValue(1);
        assertThat(dead.attempts()).isEqualTo(1);
        assertThat(dead.lastError().exceptionClass()).isEqualTo(NonRetryableException.class.getName());
        assertThat(dead.lastError().message()).contains("field \"quantity\"").contains(Order.class.getName())
                .doesNotContain("is not public");
    }

    @Test
    void aHandlerDecodingTextThatIsNotJsonDeadLettersTheJobAtOnce() {
        String id = queue.enqueue(JobRequest.builder("order").payload("not json").maxAttempts(5).build()).id();
        AtomicInteger runs = new AtomicInteger();

        try (Supervisor supervisor = Supervisor.builder(queue).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
                .handle("order", job -> {
                    runs.incrementAndGet();
                    job.payloadAs(Order.class);
                }).build().start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> queue.get(id).map(JobEntry::state).orElse(null) == JobState.DEAD);
        }

        JobEntry dead = queue.get(id).orElseThrow();
        assertThat(runs).as("not retried").hasValue(1);
        assertThat(dead.lastError().exceptionClass()).isEqualTo(NonRetryableException.class.getName());
        assertThat(dead.lastError().message()).contains("is text, not a JSON object").contains(Order.class.getName());
    }
}
