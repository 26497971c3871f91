package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Wrong credentials give a clear configuration error, fast, without the password. mongo-java-server
 * has no authentication, so a {@link FakeAuthServer} that rejects every login stands in for MongoDB.
 */
class AuthenticationFailureTest {

    @Test
    void wrongPasswordIsAConfigurationErrorNamingTheHostWithoutThePassword() throws Exception {
        try (FakeAuthServer server = new FakeAuthServer()) {
            String host = "127.0.0.1:" + server.port();
            QueueConfig config = QueueConfig.builder()
                    .connectionString("mongodb://app:wr0ngS3cret@" + host + "/?authSource=admin")
                    .operationTimeout(Duration.ofSeconds(3))
                    .build();

            long start = System.nanoTime();
            Throwable thrown = catchThrowable(() -> JobQueue.connect(config).close());
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(thrown).as("connecting with a wrong password").isInstanceOf(ConfigurationException.class);
            assertThat(thrown.getMessage())
                    .contains("authentication to")
                    .contains(host)
                    .contains("user name, password and authSource")
                    .doesNotContain("wr0ngS3cret");
            assertThat(took).as("time to fail").isLessThan(Duration.ofSeconds(10));
            assertThat(server.commands()).as("the driver tried to log in").anyMatch(command -> command.endsWith(":saslStart"));
        }
    }
}
