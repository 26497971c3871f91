package io.docjobs.mongo;

import com.mongodb.MongoException;
import com.mongodb.MongoIncompatibleDriverException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import io.docjobs.ConfigurationException;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.DocJobsException;
import io.docjobs.QueueConfig;
import org.bson.Document;

/**
 * The first round trip of a new queue: proves the server answers, the credentials work and the
 * server is new enough, and turns each way this fails into a message that says what to check.
 */
final class Handshake {
    /** Wire version 8 is MongoDB 4.2, the oldest server driver 5.x talks to. */
    static final int MIN_WIRE_VERSION = 8;

    private Handshake() {
    }

    /**
     * @throws DatabaseUnavailableException if no server answered within the operation timeout
     * @throws ConfigurationException      for failed authentication or a server that is too old
     */
    static void check(MongoClient client, String hosts, QueueConfig config) {
        DocJobsException.Context context = DocJobsException.Context.of("handshake", config.database() + "." + config.collection());
        Document hello;
        try {
            hello = client.getDatabase("admin").runCommand(new Document("isMaster", 1));
        } catch (MongoTimeoutException e) {
            String cause = OperationRunner.describe(e);
            String full = String.valueOf(e.getMessage());
            String hint = full.contains("No subject alternative") || full.contains("No name matching")
                    ? " The server's certificate does not name the host in the connection string: connect with a"
                    + " host name the certificate lists."
                    : full.contains("PKIX") || full.contains("SSLHandshake") || full.contains("certificate")
                    ? " The TLS handshake failed: check that caFile holds the CA that signed the server's certificate."
                    : " Check that the server runs, the host and port in the connection string, firewalls, and TLS settings.";
            throw new DatabaseUnavailableException("no database server answered at " + hosts + " within "
                    + config.operationTimeout() + " (operationTimeout)." + hint + " Driver said: " + cause, e, context);
        } catch (MongoSecurityException e) {
            throw new ConfigurationException("authentication to " + hosts + " failed: " + e.getMessage()
                    + "; check the user name, password and authSource in the connection string", e);
        } catch (MongoIncompatibleDriverException e) {
            throw new ConfigurationException(tooOld(hosts, e.getMessage()), e);
        } catch (MongoException e) {
            throw new DocJobsException("could not talk to the database at " + hosts + ": " + OperationRunner.describe(e), e,
                    context);
        }
        Object wire = hello.get("maxWireVersion");
        int maxWireVersion = wire instanceof Number number ? number.intValue() : 0;
        if (maxWireVersion < MIN_WIRE_VERSION) {
            throw new ConfigurationException(tooOld(hosts, "it reports wire version " + maxWireVersion));
        }
    }

    private static String tooOld(String hosts, String detail) {
        return "the database server at " + hosts + " is too old (" + detail + "); docjobs needs MongoDB 4.2 or newer"
                + " (wire version " + MIN_WIRE_VERSION + "+) or Amazon DocumentDB 5.0 or newer";
    }
}
