package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import io.docjobs.ConfigurationException;
import io.docjobs.DocJobsException;
import io.docjobs.QueueConfig;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unit-level checks of the small helpers of the Mongo queue: messages, boundaries, CA files. */
class MongoUnitsTest {
    private final EntrySchema schema = new EntrySchema(Duration.ofSeconds(30), 5);

    private static Document valid() {
        return new Document("_id", new ObjectId()).append("type", "t").append("state", "ready")
                .append("visibleAt", new Date());
    }

    // ---- EntrySchema

    @Test
    void bsonTypeNamesEveryKindAsTheBsonSpecificationSpellsIt() {
        assertThat(EntrySchema.bsonType("x")).isEqualTo("string");
        assertThat(EntrySchema.bsonType(1)).isEqualTo("int32");
        assertThat(EntrySchema.bsonType(1L)).isEqualTo("int64");
        assertThat(EntrySchema.bsonType(1.5)).isEqualTo("double");
        assertThat(EntrySchema.bsonType(Decimal128.parse("1.5"))).isEqualTo("decimal128");
        assertThat(EntrySchema.bsonType(true)).isEqualTo("boolean");
        assertThat(EntrySchema.bsonType(new Date(0))).isEqualTo("date");
        assertThat(EntrySchema.bsonType(new Document())).isEqualTo("document");
        assertThat(EntrySchema.bsonType(List.of(1))).isEqualTo("array");
        assertThat(EntrySchema.bsonType(new ObjectId())).isEqualTo("objectId");
        assertThat(EntrySchema.bsonType(new org.bson.BsonTimestamp(1, 1))).isEqualTo("BsonTimestamp");
    }

    @Test
    void aProblemMessageNamesTheBsonTypeOfTheValueFound() {
        assertThat(schema.problems(valid().append("type", 7))).contains("field type was 7 (int32)");
        assertThat(schema.problems(valid().append("type", 7L))).contains("field type was 7 (int64)");
        assertThat(schema.problems(valid().append("priority", 1.5))).contains("field priority was 1.5 (double)");
        assertThat(schema.problems(valid().append("payload", true))).contains("field payload was true (boolean)");
        assertThat(schema.problems(valid().append("payload", List.of(1)))).contains("(array)");
        assertThat(schema.problems(valid().append("state", new Document("a", 1)))).contains("(document)");
        assertThat(schema.problems(valid().append("type", new Date(0)))).contains("(date)");
        assertThat(schema.problems(valid().append("type", new ObjectId()))).contains("(objectId)");
        assertThat(schema.problems(valid().append("_id", "x"))).contains("field _id was \"x\" (string)");
        assertThat(schema.problems(valid().append("priority", Decimal128.parse("2")))).contains("(decimal128)");
        assertThat(schema.problems(valid().append("type", null))).contains("field type was missing");
    }

    @Test
    void renderKeepsExactlyOneHundredCharactersAndCutsOneMore() {
        String ninetyEight = "a".repeat(98); // rendered with its two quotes: 100 characters
        assertThat(EntrySchema.render(ninetyEight)).isEqualTo("\"" + ninetyEight + "\"");
        assertThat(EntrySchema.render(ninetyEight + "b")).isEqualTo("\"" + ninetyEight + "b…");
    }

    @Test
    void aReadyEntryWithoutAttemptsLeftSaysWhetherTheLimitWasTheQueueDefault() {
        assertThat(schema.problems(valid().append("attempts", 5)))
                .contains("less than maxAttempts (5, the queue's default)");
        assertThat(schema.problems(valid().append("attempts", 3).append("maxAttempts", 3)))
                .contains("less than maxAttempts (3)").doesNotContain("queue's default");
        assertThat(schema.problems(valid().append("attempts", 4))).isNull();
    }

    @Test
    void visibilityMsBoundaries() {
        long max = io.docjobs.JobRequest.MAX_VISIBILITY_TIMEOUT.toMillis();
        assertThat(schema.problems(valid().append("visibilityMs", 1))).isNull();
        assertThat(schema.problems(valid().append("visibilityMs", max))).isNull();
        assertThat(schema.problems(valid().append("visibilityMs", max + 1))).contains("field visibilityMs");
        assertThat(schema.problems(valid().append("visibilityMs", 0))).contains("field visibilityMs");
    }

    @Test
    void thirtyTwoBitBoundariesOfWholeNumberFields() {
        assertThat(schema.problems(valid().append("priority", (long) Integer.MAX_VALUE))).isNull();
        assertThat(schema.problems(valid().append("priority", Integer.MAX_VALUE + 1L)))
                .contains("a 32-bit whole number, at most 2147483647");
        // 2^63 as a double is not a whole number docjobs reads (no long holds it): only the plain rule.
        String tooBig = schema.problems(valid().append("priority", 0x1p63));
        assertThat(tooBig).contains("must be a 32-bit whole number").doesNotContain("at most");
        assertThat(schema.problems(valid().append("priority", 0x1p62))).contains("at most 2147483647");
        assertThat(schema.problems(valid().append("attempts", -1))).contains("field attempts was -1");
        assertThat(schema.problems(valid().append("maxAttempts", 0))).contains("field maxAttempts was 0");
    }

    // ---- OperationRunner

    @Test
    void describeKeepsFiveHundredCharactersAndCutsLongerMessages() {
        String five = "m".repeat(500);
        assertThat(OperationRunner.describe(new MongoException(five))).isEqualTo("MongoException: " + five);
        assertThat(OperationRunner.describe(new MongoException(five + "x"))).isEqualTo("MongoException: " + five + "…");
        assertThat(OperationRunner.describe(new IllegalStateException())).isEqualTo("IllegalStateException: IllegalStateException");
        assertThat(OperationRunner.describe(null)).isEqualTo("unknown error");
    }

    private static OperationRunner runner() {
        return new OperationRunner(QueueConfig.builder().retryAttempts(3).retryInitialBackoff(Duration.ofMillis(1))
                .retryMaxBackoff(Duration.ofMillis(1)).build(), "q");
    }

    @Test
    void anInterruptedOperationRestoresTheInterruptFlag() {
        OperationRunner runner = runner();
        try {
            assertThatThrownBy(() -> runner.run("op", attempt -> {
                throw new MongoInterruptedException("interrupted", new InterruptedException());
            })).isInstanceOf(DocJobsException.class).hasMessage("op on queue q was interrupted");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aPermanentErrorIsNotRetriedAndIsReportedAsAFailure() {
        OperationRunner runner = runner();
        int[] tries = {0};
        assertThatThrownBy(() -> runner.run("op", attempt -> {
            tries[0]++;
            throw new MongoException(2, "BadValue");
        })).isInstanceOf(DocJobsException.class).isNotInstanceOf(io.docjobs.DatabaseUnavailableException.class)
                .hasMessage("op on queue q failed: MongoException: BadValue");
        assertThat(tries[0]).isEqualTo(1);
    }

    @Test
    void aTransientErrorIsRetriedAndCountedInTheMessage() {
        OperationRunner runner = runner();
        assertThatThrownBy(() -> runner.run("op", attempt -> {
            throw new MongoException(91, "ShutdownInProgress");
        })).isInstanceOf(io.docjobs.DatabaseUnavailableException.class).hasMessageContaining("failed after 3 tries");
    }

    @Test
    void afterTrySeesEveryTryThatReturned() {
        OperationRunner runner = runner();
        List<String> seen = new ArrayList<>();
        runner.faults(new OperationRunner.Faults() {
            @Override
            public void beforeTry(String operation, int attempt) {
                seen.add("before " + operation + " " + attempt);
            }

            @Override
            public void afterTry(String operation, int attempt) {
                seen.add("after " + operation + " " + attempt);
                if (attempt == 1) {
                    throw new MongoException(91, "reply lost");
                }
            }
        });
        assertThat(runner.<Integer>run("op", attempt -> attempt)).isEqualTo(2);
        assertThat(seen).containsExactly("before op 1", "after op 1", "before op 2", "after op 2");
    }

    // ---- TransientErrors

    @Test
    void anErrorThatIsNoMongoExceptionIsNotTransient() {
        assertThat(TransientErrors.isTransient(new IllegalStateException("x"))).isFalse();
        assertThat(TransientErrors.isTransient(new java.io.IOException("x"))).isFalse();
    }

    // ---- ClientFactory

    @Test
    void theCaFileIsReadFromTheConnectionStringDecoded() {
        assertThat(ClientFactory.caFileFromUri("mongodb://h/?tls=true&tlsCAFile=%2Ftmp%2Fglobal%20bundle.pem&x=1"))
                .isEqualTo(Path.of("/tmp/global bundle.pem"));
        assertThat(ClientFactory.caFileFromUri("mongodb://h/?TLSCAFILE=/a.pem")).isEqualTo(Path.of("/a.pem"));
        assertThat(ClientFactory.caFileFromUri("mongodb://h/?tls=true")).isNull();
    }

    @Test
    void aPemBundleBecomesAnInitialisedContext(@TempDir Path dir) throws Exception {
        Path pem = dir.resolve("bundle.pem");
        Files.writeString(pem, pem(jdkCertificates(2)), StandardCharsets.US_ASCII);

        SSLContext context = ClientFactory.sslContextTrusting(pem);

        assertThat(context).isNotNull();
        assertThat(context.createSSLEngine()).isNotNull(); // throws when the context was not initialised
        assertThat(context.getSocketFactory()).isNotNull();
    }

    @Test
    void anEmptyCaFileIsRefusedAsHoldingNoCertificate(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.pem"));
        assertThatThrownBy(() -> ClientFactory.sslContextTrusting(empty)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("holds no certificate");
        assertThatThrownBy(() -> ClientFactory.sslContextTrusting(dir.resolve("absent.pem")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("does not exist");
    }

    private static List<Certificate> jdkCertificates(int count) throws Exception {
        KeyStore cacerts = KeyStore.getInstance(KeyStore.getDefaultType());
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty("java.home"), "lib", "security", "cacerts"))) {
            cacerts.load(in, null);
        }
        List<String> aliases = Collections.list(cacerts.aliases());
        Collections.sort(aliases);
        List<Certificate> certificates = new ArrayList<>();
        for (String alias : aliases.subList(0, count)) {
            certificates.add(cacerts.getCertificate(alias));
        }
        return certificates;
    }

    private static String pem(List<Certificate> certificates) throws Exception {
        StringBuilder text = new StringBuilder();
        for (Certificate certificate : certificates) {
            text.append("-----BEGIN CERTIFICATE-----\n")
                    .append(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded()))
                    .append("\n-----END CERTIFICATE-----\n");
        }
        return text.toString();
    }
}
