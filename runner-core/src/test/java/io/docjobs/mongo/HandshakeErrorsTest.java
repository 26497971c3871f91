package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoCredential;
import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.connection.ClusterConnectionMode;
import com.mongodb.connection.ClusterDescription;
import com.mongodb.connection.ClusterSettings;
import com.mongodb.connection.ClusterType;
import com.mongodb.connection.ServerSettings;
import io.docjobs.ConfigurationException;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.DocJobsException;
import io.docjobs.QueueConfig;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a failed first contact is explained, without a network: a stand-in client whose
 * {@code isMaster} fails the way the driver fails.
 */
class HandshakeErrorsTest {
    private static final String NAME_HINT = "The server's certificate does not name the host in the connection string";
    private static final String TLS_HINT = "The TLS handshake failed: check that caFile holds the CA";
    private static final String GENERIC_HINT = "Check that the server runs, the host and port";

    private static MongoClient clientFailingWith(RuntimeException error) {
        ClusterDescription cluster = new ClusterDescription(ClusterConnectionMode.SINGLE, ClusterType.UNKNOWN, List.of(),
                ClusterSettings.builder().build(), ServerSettings.builder().build());
        InvocationHandler[] handler = new InvocationHandler[1];
        handler[0] = (proxy, method, args) -> {
            switch (method.getName()) {
                case "runCommand":
                    throw error;
                case "getWriteConcern":
                    return WriteConcern.MAJORITY;
                case "getClusterDescription":
                    return cluster;
                case "toString":
                    return "stand-in";
                case "hashCode":
                    return 0;
                case "equals":
                    return proxy == args[0];
                default:
                    break;
            }
            Class<?> type = method.getReturnType();
            if (type.isInterface()) {
                return Proxy.newProxyInstance(HandshakeErrorsTest.class.getClassLoader(), new Class<?>[] {type}, handler[0]);
            }
            return null;
        };
        return (MongoClient) Proxy.newProxyInstance(HandshakeErrorsTest.class.getClassLoader(),
                new Class<?>[] {MongoClient.class}, handler[0]);
    }

    private static void open(RuntimeException error) {
        MongoJobQueue.using(clientFailingWith(error), QueueConfig.builder().build());
    }

    private static void timesOutWithHint(String driverMessage, String hint) {
        assertThatThrownBy(() -> open(new MongoTimeoutException(driverMessage)))
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageStartingWith("no database server answered at ")
                .hasMessageContaining(hint)
                .hasMessageContaining("Driver said: MongoTimeoutException: " + driverMessage);
    }

    @Test
    void aCertificateForAnotherHostIsNamed() {
        timesOutWithHint("... javax.net.ssl.SSLHandshakeException: No subject alternative names matching IP address", NAME_HINT);
        timesOutWithHint("... No name matching db.example found", NAME_HINT);
    }

    @Test
    void anUntrustedCertificateIsNamed() {
        timesOutWithHint("... PKIX path building failed", TLS_HINT);
        timesOutWithHint("... SSLHandshakeException: Received fatal alert", TLS_HINT);
        timesOutWithHint("... unable to find valid certificate path", TLS_HINT);
    }

    @Test
    void anyOtherTimeoutGetsTheGenericHint() {
        timesOutWithHint("Timed out while waiting for a server, state=CONNECTING, Connection refused", GENERIC_HINT);
    }

    @Test
    void failedAuthenticationIsAConfigurationError() {
        MongoSecurityException denied = new MongoSecurityException(
                MongoCredential.createCredential("u", "admin", "p".toCharArray()), "Exception authenticating");
        assertThatThrownBy(() -> open(denied)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("authentication to ").hasMessageContaining("check the user name, password and authSource");
    }

    @Test
    void anyOtherDriverErrorIsReportedAsIs() {
        assertThatThrownBy(() -> open(new MongoException(13, "Unauthorized")))
                .isInstanceOf(DocJobsException.class)
                .isNotInstanceOf(ConfigurationException.class).isNotInstanceOf(DatabaseUnavailableException.class)
                .hasMessageContaining("could not talk to the database at ").hasMessageEndingWith("MongoException: Unauthorized")
                .extracting(thrown -> ((DocJobsException) thrown).context())
                .isEqualTo(DocJobsException.Context.of("handshake", QueueConfig.DEFAULT_DATABASE + "." + QueueConfig.DEFAULT_COLLECTION));
    }

    @Test
    void aTimeOutNamesTheHandshakeAndTheQueue() {
        assertThatThrownBy(() -> open(new MongoTimeoutException("Timed out")))
                .isInstanceOf(DatabaseUnavailableException.class)
                .extracting(thrown -> ((DocJobsException) thrown).context())
                .isEqualTo(DocJobsException.Context.of("handshake", QueueConfig.DEFAULT_DATABASE + "." + QueueConfig.DEFAULT_COLLECTION));
    }
}
