package io.docjobs.daemon.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.Headers;
import org.junit.jupiter.api.Test;

/** The console's request checks, one rule at a time. */
class RequestGuardTest {
    private static final String TOKEN = "0123456789abcdef0123";

    private static Headers headers(String... pairs) {
        Headers headers = new Headers();
        for (int i = 0; i < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1]);
        }
        return headers;
    }

    @Test
    void withoutATokenWritesAreDisabledButReadsAnswer() {
        RequestGuard guard = new RequestGuard("", true);
        assertThat(guard.writesEnabled()).isFalse();
        HttpError error = catchThrowableOfType(HttpError.class, () -> guard.check("POST", "/api/dead-letters/requeue",
                headers("Host", "127.0.0.1:9464", "Authorization", "Bearer anything")));
        assertThat(error.status()).isEqualTo(403);
        assertThat(error.getMessage()).contains("write actions are disabled");
        assertThat(error.hint()).contains("console.token");
        assertThatCode(() -> guard.check("GET", "/api/overview", headers("Host", "localhost:9464"))).doesNotThrowAnyException();
    }

    @Test
    void theTokenIsCheckedWhateverItsLengthAndTheSchemeCase() {
        RequestGuard guard = new RequestGuard(TOKEN, true);
        assertThatCode(() -> guard.check("POST", "/api/x", headers("Host", "[::1]:9464", "Authorization", "bearer " + TOKEN)))
                .doesNotThrowAnyException();
        for (String wrong : new String[] {"Bearer ", "Bearer " + TOKEN + "x", "Bearer " + TOKEN.substring(1), "Basic " + TOKEN}) {
            HttpError error = catchThrowableOfType(HttpError.class, () -> guard.check("POST", "/api/x",
                    headers("Host", "127.0.0.1", "Authorization", wrong)));
            assertThat(error.status()).as(wrong).isEqualTo(401);
        }
    }

    @Test
    void aForeignOriginIsRefusedAndTheOwnOneAccepted() {
        RequestGuard guard = new RequestGuard(TOKEN, true);
        assertThatCode(() -> guard.check("POST", "/api/x", headers("Host", "127.0.0.1:9464", "Origin",
                "http://127.0.0.1:9464", "Authorization", "Bearer " + TOKEN))).doesNotThrowAnyException();
        for (String origin : new String[] {"http://127.0.0.1:9465", "https://evil.example", "null"}) {
            HttpError error = catchThrowableOfType(HttpError.class, () -> guard.check("GET", "/api/overview",
                    headers("Host", "127.0.0.1:9464", "Origin", origin)));
            assertThat(error.status()).as(origin).isEqualTo(403);
        }
    }

    @Test
    void onlyLoopbackHostsWhileBoundToLoopbackAnyOtherwise() {
        HttpError error = catchThrowableOfType(HttpError.class, () -> new RequestGuard(TOKEN, true).check("GET", "/",
                headers("Host", "attacker.example:9464")));
        assertThat(error.status()).isEqualTo(403);
        assertThatCode(() -> new RequestGuard(TOKEN, false).check("GET", "/", headers("Host", "jobs.internal:9464")))
                .doesNotThrowAnyException();
        assertThat(RequestGuard.hostName("[::1]:9464")).isEqualTo("[::1]");
        assertThat(RequestGuard.hostName("LocalHost")).isEqualTo("localhost");
    }

    @Test
    void payloadsAreIndentedWhenJsonAndCutWhenLarge() {
        Payloads json = Payloads.of("{\"a\": 1, \"b\": [1, 2]}");
        assertThat(json.json()).isTrue();
        assertThat(json.text()).contains("\n");
        Payloads text = Payloads.of("{not json");
        assertThat(text.json()).isFalse();
        assertThat(text.text()).isEqualTo("{not json");
        Payloads big = Payloads.of("é".repeat(70_000));
        assertThat(big.truncated()).isTrue();
        assertThat(big.bytes()).isEqualTo(140_000);
        assertThat(big.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Payloads.MAX_SHOWN_BYTES);
    }
}
